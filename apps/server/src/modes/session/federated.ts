import type Router from '@koa/router';
import type { AppDeps } from '../../deps.ts';
import { createRouter } from '../../http/router.ts';
import { finishFederatedSignIn } from './actions/federated-callback.ts';
import { startFederatedSignIn } from './actions/federated-start.ts';
import { FLOW_PATH, federatedSignIn } from './federated-flow.ts';

/**
 * Federated sign-in for the session mode: the server is a relying party (Authorization Code +
 * PKCE S256, with state and nonce) of the built-in provider or of `OIDC_UPSTREAM_ISSUER`, and
 * ends in an ordinary server session. One action per file under `actions/`.
 *
 * Both routes are GET navigations, so the origin check (which guards state-changing methods) does
 * not apply. Login CSRF is stopped instead by binding the response to this browser: the callback
 * accepts only the `state` it finds in its own signed cookie, and the code only redeems with that
 * cookie's PKCE verifier, so a code or a callback URL from someone else's flow cannot sign this
 * browser in.
 *
 * @example
 * const federated = federatedRouter(deps);
 * app.use(federated.routes());
 * // <a href="/session/oidc/start">Sign in with OpenID Connect</a>
 */
export function federatedRouter(deps: AppDeps): Router {
  const federation = federatedSignIn(deps);
  const router = createRouter(FLOW_PATH);
  router.get('/start', startFederatedSignIn(deps, federation));
  router.get('/callback', finishFederatedSignIn(deps, federation));
  return router;
}
