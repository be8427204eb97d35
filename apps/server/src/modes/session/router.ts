import type Router from '@koa/router';
import type Koa from 'koa';
import type { AppDeps } from '../../deps.ts';
import { createRouter } from '../../http/router.ts';
import { login } from './actions/login.ts';
import { logout, logoutAll } from './actions/logout.ts';
import { me } from './actions/me.ts';
import { listSessions, revokeSession } from './actions/sessions.ts';

// The JWT mode and the OpenID Provider's login page take the same body.
export { loginBody } from './actions/login.ts';

/**
 * The server-session mode: an opaque id in an HttpOnly cookie, all state on the server. Every
 * route reads the session (sign-in too: it deletes the record of the id presented). Routes per
 * the HTTP interface in shared/DESIGN.md; one action per file under `actions/`.
 */
export function sessionRouter(deps: AppDeps, withSession: Koa.Middleware): Router {
  const router = createRouter('/session');
  router.use(withSession);
  router.post('/login', login(deps));
  router.get('/me', me(deps));
  router.get('/sessions', listSessions(deps));
  router.delete('/sessions/:id', revokeSession(deps));
  router.post('/logout', logout);
  router.post('/logout-all', logoutAll(deps));
  return router;
}
