import type Router from '@koa/router';
import type { AppDeps } from '../deps.ts';
import { createRouter } from '../http/router.ts';
import { COMPARE_CLIENT_ID, COMPARE_PATH, oidcEndpoints } from '../modes/oidc/clients.ts';
import { sessionUser } from '../modes/session/session-middleware.ts';
import { comparePage } from './compare-page.ts';
import { page } from './html.ts';

/** `GET /compare`: the three modes side by side (web/compare-page.ts, assets/compare*.js). */
export function compareRouter(deps: AppDeps): Router {
  const router = createRouter(COMPARE_PATH);
  const { issuer, publicUrl } = oidcEndpoints(deps.config.publicUrl);

  router.get('/', async (ctx) => {
    const found = await sessionUser(ctx, deps);
    ctx.set('Cache-Control', 'no-store');
    ctx.type = 'html';
    ctx.body = page(
      {
        title: 'Compare the modes',
        signedInAs: found?.user.email,
        current: COMPARE_PATH,
        modules: ['/assets/compare.js'],
        styles: ['/assets/compare.css'],
      },
      // The redirect registered for authlab-compare, exactly (clients.ts): PUBLIC_URL, never the Host header.
      comparePage({
        issuer,
        clientId: COMPARE_CLIENT_ID,
        redirectUri: `${publicUrl}${COMPARE_PATH}`,
        sessionActive: found !== null,
      }),
    );
  });

  return router;
}
