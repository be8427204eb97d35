import * as client from 'openid-client';
import { discoverPublicClient, tokenSetOf } from '../discover.ts';
import { NativeAuthError, type TokenSet } from '../types.ts';
import type { Settings } from './settings.ts';

export interface AuthorizationResult {
  tokens: TokenSet;
  /** The verified ID token's claims (`sub`, `email`, …). */
  claims: client.IDToken;
  /** The redirect URI this sign-in used, e.g. `http://127.0.0.1:53123/callback`. */
  redirectUri: string;
}

/** What one sign-in sent to the provider and must see again. */
export interface PendingRequest {
  configuration: client.Configuration;
  redirectUri: string;
  state: string;
  nonce: string;
  verifier: string;
}

/**
 * The provider's configuration (OpenID Connect Discovery), or `discovery_failed`. Aborting `stop`
 * cancels discovery and, since the configuration keeps the same fetch, the later token request.
 * Plain http only to a loopback issuer (checked in the constructor, and by `discoverPublicClient`).
 */
export function discover(settings: Settings, stop: AbortSignal): Promise<client.Configuration> {
  const { issuer, clientId, clock } = settings;
  return discoverPublicClient(issuer, clientId, {
    clockSkewSec: Math.round((clock() - Date.now()) / 1000),
    // Kept by the configuration for the token request too: settling cancels both.
    fetch: (input, init) =>
      settings.fetch(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, stop]) : stop }),
  });
}

/** A fresh `state`, `nonce` and PKCE S256 verifier, and the authorization URL that carries them. */
export async function authorizationRequest(
  configuration: client.Configuration,
  redirectUri: string,
  settings: Pick<Settings, 'scope' | 'resource'>,
): Promise<{ request: PendingRequest; url: string }> {
  const request: PendingRequest = {
    configuration,
    redirectUri,
    state: client.randomState(),
    nonce: client.randomNonce(),
    verifier: client.randomPKCECodeVerifier(),
  };
  const { scope, resource } = settings;
  const url = client.buildAuthorizationUrl(configuration, {
    redirect_uri: request.redirectUri,
    scope,
    code_challenge: await client.calculatePKCECodeChallenge(request.verifier),
    code_challenge_method: 'S256',
    state: request.state,
    nonce: request.nonce,
    // OpenID Connect Core §11: a refresh token for offline use only after explicit consent.
    ...(scope.split(' ').includes('offline_access') ? { prompt: 'consent' } : {}),
    ...(resource ? { resource } : {}),
  }).href;
  return { request, url };
}

/**
 * Redeems the code of an already checked authorization response, with the PKCE verifier, and
 * verifies the ID token (issuer, audience, `nonce`, expiry). Any failure is `exchange_failed`.
 */
export async function redeemCode(
  request: PendingRequest,
  params: URLSearchParams,
  resource: string | undefined,
): Promise<AuthorizationResult> {
  const { configuration, redirectUri } = request;
  let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
  try {
    // Built from our redirect URI, never from the request's Host: it is what the code was issued to.
    tokens = await client.authorizationCodeGrant(
      configuration,
      new URL(`${redirectUri}?${params}`),
      {
        pkceCodeVerifier: request.verifier,
        expectedState: request.state,
        expectedNonce: request.nonce,
        idTokenExpected: true,
      },
      resource ? { resource } : undefined,
    );
  } catch (error) {
    const message =
      error instanceof client.ResponseBodyError
        ? `the server refused the authorization code (${error.error}${error.error_description ? `: ${error.error_description}` : ''})`
        : `the token request or its ID token failed: ${(error as Error).message}`;
    throw new NativeAuthError('exchange_failed', message, { cause: error });
  }
  const claims = tokens.claims();
  if (!claims) throw new NativeAuthError('exchange_failed', 'the token response carries no ID token');
  return {
    tokens: tokenSetOf(tokens),
    claims,
    redirectUri,
  };
}
