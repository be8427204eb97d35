import * as oidc from 'openid-client';
import { NativeAuthError, type TokenSet } from './types.ts';

const LOOPBACK = new Set(['127.0.0.1', '[::1]', 'localhost']);

/** True for `http:` on a loopback host, the only place plain HTTP is accepted. */
export const isLoopbackHttp = (url: URL) => url.protocol === 'http:' && LOOPBACK.has(url.hostname);

/**
 * Discovers a provider for a public native client (no secret: RFC 8252 §8.4). Plain-http
 * issuers are accepted only on loopback hosts (a workshop laptop), never across a network.
 * The configuration keeps `fetch` for every later request (token, revocation); `clockSkewSec`
 * shifts the `iat`/`exp` checks of ID tokens to a clock that differs from `Date.now()`.
 */
export async function discoverPublicClient(
  issuer: string | URL,
  clientId: string,
  options: { fetch?: typeof fetch; clockSkewSec?: number } = {},
): Promise<oidc.Configuration> {
  const url = new URL(issuer);
  if (url.protocol !== 'https:' && !isLoopbackHttp(url)) {
    throw new NativeAuthError('insecure_issuer', `refusing ${issuer}: plain http is accepted only on a loopback host`);
  }
  const custom = options.fetch ? { [oidc.customFetch]: options.fetch as unknown as oidc.CustomFetch } : {};
  const metadata = options.clockSkewSec ? { [oidc.clockSkew]: options.clockSkewSec } : undefined;
  try {
    return await oidc.discovery(url, clientId, metadata, oidc.None(), {
      ...(isLoopbackHttp(url) ? { execute: [oidc.allowInsecureRequests] } : {}),
      ...custom,
    });
  } catch (error) {
    throw discoveryError(url, error);
  }
}

/** openid-client's codes for a discovery answer that is not this issuer's provider metadata. */
const NOT_A_PROVIDER = new Set([
  'OAUTH_RESPONSE_IS_NOT_CONFORM',
  'OAUTH_RESPONSE_IS_NOT_JSON',
  'OAUTH_PARSE_ERROR',
  'OAUTH_INVALID_RESPONSE',
  'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED',
]);

/**
 * Tells "no answer" (`discovery_failed`: network, timeout, a 5xx; try again later) from "an answer
 * that is not this provider" (`not_a_provider`: a 404, a page instead of JSON, another `issuer`;
 * the issuer URL is wrong, and trying again will not help).
 */
function discoveryError(issuer: URL, error: unknown): NativeAuthError {
  const where = new URL(`${issuer.pathname.replace(/\/$/, '')}/.well-known/openid-configuration`, issuer).href;
  const { code, cause } = error as { code?: unknown; cause?: unknown };
  const status = cause instanceof Response ? cause.status : undefined;
  if (typeof code === 'string' && NOT_A_PROVIDER.has(code) && !(status !== undefined && status >= 500)) {
    const what =
      code === 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED'
        ? 'names another issuer (the issuer must match exactly, trailing slash included)'
        : status !== undefined && status !== 200
          ? `answered ${status}`
          : 'is not OpenID Provider metadata';
    return new NativeAuthError('not_a_provider', `no OpenID Provider at ${issuer.href}: ${where} ${what}`, {
      cause: error,
    });
  }
  const network = (cause as { code?: unknown } | undefined)?.code;
  const reason = `${(error as Error).message}${typeof network === 'string' ? ` (${network})` : ''}`;
  return new NativeAuthError('discovery_failed', `cannot reach the OpenID Provider at ${issuer.href}: ${reason}`, {
    cause: error,
  });
}

/** A token endpoint response (code or refresh grant) as the token manager takes it. */
export function tokenSetOf(response: oidc.TokenEndpointResponse): TokenSet {
  return {
    accessToken: response.access_token,
    // No lifetime given: treat the token as stale at once rather than guess one.
    expiresIn: response.expires_in ?? 0,
    refreshToken: response.refresh_token,
    idToken: response.id_token,
  };
}
