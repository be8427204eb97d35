import * as oidc from 'openid-client';
import { NativeAuthError } from './types.ts';

const LOOPBACK = new Set(['127.0.0.1', '[::1]', 'localhost']);

/** True for `http:` on a loopback host, the only place plain HTTP is accepted. */
export const isLoopbackHttp = (url: URL) => url.protocol === 'http:' && LOOPBACK.has(url.hostname);

/**
 * Discovers a provider for a public native client (no secret: RFC 8252 §8.4). Plain-http
 * issuers are accepted only on loopback hosts (a workshop laptop), never across a network.
 */
export async function discoverPublicClient(
  issuer: string,
  clientId: string,
  options: { fetch?: typeof fetch } = {},
): Promise<oidc.Configuration> {
  const url = new URL(issuer);
  if (url.protocol !== 'https:' && !isLoopbackHttp(url)) {
    throw new NativeAuthError('insecure_issuer', `refusing ${issuer}: plain http is accepted only on a loopback host`);
  }
  const custom = options.fetch ? { [oidc.customFetch]: options.fetch as unknown as oidc.CustomFetch } : {};
  try {
    return await oidc.discovery(url, clientId, undefined, oidc.None(), {
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
