import * as client from 'openid-client';
import type { DecodedJwt, RecordedRequest } from '../../web/oidc-flow-page.ts';
import { PLAYGROUND_CLIENT_ID } from './clients.ts';

/** A JWT's header and claims, read without verifying anything (openid-client has verified the ID token). */
export function decodeJwtParts(token: string): DecodedJwt | null {
  const [header, claims, signature] = token.split('.');
  if (!header || !claims || signature === undefined) return null;
  try {
    const part = (text: string) =>
      JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Record<string, unknown>;
    return { header: part(header), claims: part(claims), encoded: token };
  } catch {
    return null;
  }
}

/**
 * Discovery once per process, of our own provider through `PUBLIC_URL`, the way any relying party
 * finds it; a failure is not kept, so the next page load tries again. Plain http is allowed because
 * the issuer is this server: configuration refuses an http `PUBLIC_URL` in production unless it
 * is loopback.
 */
export function walkthroughDiscovery(issuer: URL): () => Promise<client.Configuration> {
  let pending: Promise<client.Configuration> | undefined;
  const options = { execute: issuer.protocol === 'http:' ? [client.allowInsecureRequests] : [], timeout: 10 };
  return () => {
    pending ??= client.discovery(issuer, PLAYGROUND_CLIENT_ID, undefined, client.None(), options).catch((error) => {
      pending = undefined;
      throw error;
    });
    return pending;
  };
}

/**
 * A configuration for one callback, whose every outgoing request (token, JWKS, API) is recorded so
 * the page can show the back channel as it happened.
 */
export function recordingConfiguration(
  discovered: client.Configuration,
  requests: RecordedRequest[],
): client.Configuration {
  const configuration = new client.Configuration(
    discovered.serverMetadata(),
    PLAYGROUND_CLIENT_ID,
    // The client pins the algorithm it was registered with (the provider's default, RS256).
    { id_token_signed_response_alg: 'RS256' },
    client.None(),
  );
  configuration.timeout = 10;
  if (discovered.serverMetadata().issuer.startsWith('http:')) client.allowInsecureRequests(configuration);
  // Verify the ID token's signature too, against the provider's JWKS. An answer straight from the
  // token endpoint over TLS would not need it (OpenID Connect Core §3.1.3.7); the walkthrough shows it.
  client.enableNonRepudiationChecks(configuration);
  configuration[client.customFetch] = async (url, options) => {
    const response = await fetch(url, options);
    requests.push({
      method: options.method,
      url,
      headers: Object.fromEntries(new Headers(options.headers)),
      body: options.body instanceof URLSearchParams || typeof options.body === 'string' ? String(options.body) : '',
      status: response.status,
      responseBody: await response.clone().text(),
    });
    return response;
  };
  return configuration;
}

/** What the provider's error codes mean to the person who just saw them happen. */
export function failureOf(error: unknown): { code: string; description: string } {
  if (error instanceof client.ResponseBodyError || error instanceof client.AuthorizationResponseError) {
    return { code: error.error, description: error.error_description ?? error.message };
  }
  if (error instanceof client.ClientError) return { code: error.code ?? 'client_error', description: error.message };
  return { code: 'unavailable', description: error instanceof Error ? error.message : String(error) };
}
