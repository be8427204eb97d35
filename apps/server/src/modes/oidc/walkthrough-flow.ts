import type * as client from 'openid-client';
import type { AppDeps } from '../../deps.ts';
import { type PendingFlowCookie, pendingFlowCookie } from '../../http/pending-flow.ts';
import { oidcEndpoints, PLAYGROUND_CALLBACK_PATH } from './clients.ts';
import { walkthroughDiscovery } from './walkthrough-client.ts';

/** What the callback needs back. It stays on the server's side of the browser: a signed, HttpOnly cookie. */
export interface PendingFlow {
  verifier: string;
  state: string;
  nonce: string;
  /** ms, on the injected clock. */
  expiresAt: number;
}

/** As long as the provider keeps an interaction open (its `Interaction` TTL). */
export const FLOW_TTL_MS = 10 * 60_000;
/** The cookie goes to the walkthrough's two pages and nowhere else. */
export const FLOW_PATH = '/oidc-flow';
/** No `offline_access`: the walkthrough's client may not hold refresh tokens. */
export const SCOPE = 'openid email api';

/** What both walkthrough pages share, built once per app. */
export interface Walkthrough {
  /** Our own provider's issuer: the walkthrough's client finds it through `PUBLIC_URL`. */
  issuer: string;
  discovered: () => Promise<client.Configuration>;
  /** `PUBLIC_URL/oidc-flow/callback`, registered for `authlab-playground`. */
  redirectUri: string;
  flowCookie: PendingFlowCookie<PendingFlow>;
}

export function walkthrough(deps: AppDeps): Walkthrough {
  const { config } = deps;
  const { issuer } = oidcEndpoints(config.publicUrl);
  return {
    issuer,
    discovered: walkthroughDiscovery(new URL(issuer)),
    redirectUri: `${config.publicUrl}${PLAYGROUND_CALLBACK_PATH}`,
    flowCookie: pendingFlowCookie<PendingFlow>({
      name: 'authlab.oidc-walkthrough',
      path: FLOW_PATH,
      secure: config.secureCookies,
      ttlMs: FLOW_TTL_MS,
      textFields: ['verifier', 'state', 'nonce'],
    }),
  };
}
