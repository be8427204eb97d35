import type Router from '@koa/router';
import type Koa from 'koa';
import type { AppDeps } from '../../deps.ts';
import { createRouter } from '../../http/router.ts';
import { home } from './home.ts';
import { jwtPage } from './jwt.ts';
import { loginPage } from './login.ts';
import { mePage } from './me.ts';

/**
 * The server's own pages: home (the three modes side by side), the JWT playground, session
 * sign-in, and "me". Each page shows who is signed in, so each runs behind the session layer
 * (`withSession`, the session mode's, plugged in by the app); one page per file.
 */
export function pagesRouter(deps: AppDeps, withSession: Koa.Middleware): Router {
  const router = createRouter();
  // Router middleware runs only for a request one of the routes below matches.
  router.use(withSession);
  router.get('/', home);
  router.get('/jwt', jwtPage);
  router.get('/login', loginPage(deps));
  router.get('/me', mePage(deps));
  return router;
}
