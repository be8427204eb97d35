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
    throw new NativeAuthError(
      'discovery_failed',
      `cannot read ${issuer}'s configuration: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
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
