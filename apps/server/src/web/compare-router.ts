import type Router from '@koa/router';
import type { Context } from 'koa';
import type { AppDeps } from '../deps.ts';
import { noStoreHtml } from '../http/no-store.ts';
import { createRouter } from '../http/router.ts';
import { comparePage } from './compare-page.ts';
import { page } from './html.ts';

/** The OpenID Provider's public web client the page signs in with (modes/oidc/clients.ts, via app.ts). */
export interface CompareClient {
  issuer: string;
  clientId: string;
  /** The page's path, also its registered redirect (on PUBLIC_URL). */
  path: string;
}

/** `GET /compare`: the three modes side by side (web/compare-page.ts, assets/compare*.js). */
export function compareRouter(deps: AppDeps, client: CompareClient): Router {
  const router = createRouter(client.path);
  router.get('/', showComparePage(deps, client));
  return router;
}

/** Behind the session layer (app.ts): `ctx.state.signedIn` says whether a session is active. */
function showComparePage(deps: AppDeps, client: CompareClient) {
  const { issuer, clientId, path } = client;
  const { publicUrl } = deps.config;
  return function showComparePage(ctx: Context): void {
    const found = ctx.state.signedIn ?? null;
    noStoreHtml(ctx);
    ctx.body = page(
      {
        title: 'Compare the modes',
        signedInAs: found?.user.email,
        current: path,
        modules: ['/assets/compare.js'],
        styles: ['/assets/compare.css'],
      },
      // The redirect registered for authlab-compare, exactly (clients.ts): PUBLIC_URL, never the Host header.
      comparePage({
        issuer,
        clientId,
        redirectUri: `${publicUrl}${path}`,
        sessionActive: found !== null,
      }),
    );
  };
}
