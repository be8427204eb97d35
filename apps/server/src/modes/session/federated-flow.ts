import type { Context } from 'koa';
import type * as client from 'openid-client';
import type { AppDeps } from '../../deps.ts';
import { pendingFlowCookie } from '../../http/pending-flow.ts';
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
/** `__Secure-` where Secure (`__Host-` would demand Path=/). */
const flowCookieName = (secure: boolean) => (secure ? '__Secure-authlab.oidc-flow' : 'authlab.oidc-flow');

const flowCookie = pendingFlowCookie<PendingSignIn>(['state', 'nonce', 'verifier', 'issuer']);

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
  /** This browser's pending sign-in, or null (missing, tampered with, or malformed). */
  readFlow(ctx: Context): PendingSignIn | null;
  writeFlow(ctx: Context, flow: PendingSignIn): void;
  /** Ends the pending sign-in: the cookie is single use. */
  clearFlow(ctx: Context): void;
}

export function federatedSignIn(deps: AppDeps): FederatedSignIn {
  const { config } = deps;
  const upstream = federationUpstream(deps);
  const cookieName = flowCookieName(config.secureCookies);
  const cookieOptions = {
    path: FLOW_PATH,
    httpOnly: true,
    sameSite: 'lax' as const,
    secure: config.secureCookies,
    signed: true,
    overwrite: true,
  };
  return {
    upstream,
    discovered: discoveryOf(upstream),
    redirectUri: `${config.publicUrl}${WEB_CALLBACK_PATH}`,
    readFlow: (ctx) => flowCookie.decode(ctx.cookies.get(cookieName, { signed: true })),
    writeFlow: (ctx, flow) =>
      ctx.cookies.set(cookieName, flowCookie.encode(flow), { ...cookieOptions, maxAge: FLOW_TTL_MS }),
    clearFlow: (ctx) => ctx.cookies.set(cookieName, null, cookieOptions),
  };
}
