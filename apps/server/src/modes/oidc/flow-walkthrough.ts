import type Router from '@koa/router';
import type { AppDeps } from '../../deps.ts';
import { createRouter } from '../../http/router.ts';
import { finishWalkthrough } from './actions/walkthrough-callback.ts';
import { startWalkthrough } from './actions/walkthrough-start.ts';
import { PLAYGROUND_CALLBACK_PATH } from './clients.ts';
import { FLOW_PATH, walkthrough } from './walkthrough-flow.ts';

/**
 * `GET /oidc-flow` and its callback: the Authorization Code flow with PKCE, run by the registered
 * public client `authlab-playground` with openid-client against the built-in provider, one step
 * per page, every value on display. One action per file under `actions/`.
 *
 * Both routes are GET navigations. The callback is bound to this browser by the signed cookie:
 * only the `state` found there is accepted, and the code only redeems with that cookie's PKCE
 * verifier, so someone else's callback URL gets nothing here.
 *
 * @example
 * const walkthrough = flowWalkthroughRouter(deps);
 * app.use(walkthrough.routes());
 * // <a href="/oidc-flow">Walk through the flow</a>
 */
export function flowWalkthroughRouter(deps: AppDeps): Router {
  const shared = walkthrough(deps);
  const router = createRouter();
  router.get(FLOW_PATH, startWalkthrough(deps, shared));
  router.get(PLAYGROUND_CALLBACK_PATH, finishWalkthrough(deps, shared));
  return router;
}
