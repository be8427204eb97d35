import type * as client from 'openid-client';
import type { AppDeps } from '../../deps.ts';
import { type PendingFlowCookie, pendingFlowCookie } from '../../http/pending-flow.ts';
import { WEB_CALLBACK_PATH } from '../oidc/clients.ts';
import { discoveryOf, federationUpstream, type Upstream } from './upstream-client.ts';

/** What the browser must bring back to the callback, bound to it by a signed cookie. */
export interface PendingSignIn {
  state: string;
  nonce: string;
  verifier: string;
  issuer: string;
  /** ms, on the injected clock. */
  expiresAt: number;
}

/** Ten minutes for the round trip through the provider's login and consent pages. */
export const FLOW_TTL_MS = 10 * 60_000;
/** Sent only to /session/oidc/start and /session/oidc/callback, nowhere else. */
export const FLOW_PATH = '/session/oidc';

/**
 * What both federated actions share, built once per app: the provider, its discovered
 * configuration, our redirect URI, and the signed cookie that carries a sign-in in progress.
 */
export interface FederatedSignIn {
  upstream: Upstream;
  /** The provider's configuration, discovered on first use (`discoveryOf`). */
  discovered: () => Promise<client.Configuration>;
  /** `PUBLIC_URL/session/oidc/callback`: never built from the Host header. */
  redirectUri: string;
  /** This browser's pending sign-in (single use). */
  flowCookie: PendingFlowCookie<PendingSignIn>;
}

export function federatedSignIn(deps: AppDeps): FederatedSignIn {
  const { config } = deps;
  const upstream = federationUpstream(deps);
  return {
    upstream,
    discovered: discoveryOf(upstream),
    redirectUri: `${config.publicUrl}${WEB_CALLBACK_PATH}`,
    flowCookie: pendingFlowCookie<PendingSignIn>({
      name: 'authlab.oidc-flow',
      path: FLOW_PATH,
      secure: config.secureCookies,
      ttlMs: FLOW_TTL_MS,
      textFields: ['state', 'nonce', 'verifier', 'issuer'],
    }),
  };
}
