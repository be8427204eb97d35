import type { ClientMetadata } from 'oidc-provider';

export interface OidcEndpoints {
  /** `PUBLIC_URL/oidc` */
  issuer: string;
  /** `PUBLIC_URL/api`: the one resource server (RFC 8707) the provider issues access tokens for. */
  apiResource: string;
  publicUrl: string;
}

export const oidcEndpoints = (publicUrl: string): OidcEndpoints => ({
  issuer: `${publicUrl}/oidc`,
  apiResource: `${publicUrl}/api`,
  publicUrl,
});

export const DESKTOP_CLIENT_ID = 'authlab-desktop';
export const CLI_CLIENT_ID = 'authlab-cli';
export const WEB_CLIENT_ID = 'authlab-web';
export const WEB_CALLBACK_PATH = '/session/oidc/callback';
export const PLAYGROUND_CLIENT_ID = 'authlab-playground';
export const PLAYGROUND_CALLBACK_PATH = '/oidc-flow/callback';
export const COMPARE_CLIENT_ID = 'authlab-compare';
export const COMPARE_PATH = '/compare';

/** A public native client (RFC 8252): loopback IP-literal redirects, any port (§7.3), no secret. */
const nativeClient = (clientId: string, clientName: string): ClientMetadata => ({
  client_id: clientId,
  client_name: clientName,
  application_type: 'native',
  token_endpoint_auth_method: 'none',
  redirect_uris: ['http://127.0.0.1/callback', 'http://[::1]/callback'],
  post_logout_redirect_uris: ['http://127.0.0.1/signed-out', 'http://[::1]/signed-out'],
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  id_token_signed_response_alg: 'EdDSA',
});

/**
 * The registered clients, built from configuration and secrets (never hard-coded in handlers).
 *
 * - `authlab-desktop`: a public native client (RFC 8252). Loopback IP-literal redirects only; the
 *   provider accepts any port on them (§7.3). `localhost` is not registered (§8.3: it can resolve
 *   to something else).
 * - `authlab-cli`: the terminal client, registered like the desktop app but under its own name, so
 *   the consent page names the app that really asks.
 * - `authlab-web`: the server's own confidential client, for federated sign-in to the session mode.
 * - `authlab-playground`: the `/oidc-flow` walkthrough. Public (no secret: it teaches the flow a
 *   public client runs, PKCE standing in for the secret), one exact redirect, no refresh tokens;
 *   it registers no ID token algorithm, so it gets the default, RS256, as a typical RP would.
 * - `authlab-compare`: the `/compare` dashboard's OpenID Connect panel, a public client running in
 *   the browser (no secret can be kept there; PKCE, RFC 9700 §2.1.1), one exact redirect on
 *   PUBLIC_URL, rotating refresh tokens with `offline_access` held in the page's memory only;
 *   it registers EdDSA for its ID tokens (a client may choose; OIDC Registration §2).
 */
export function registeredClients(endpoints: OidcEndpoints, webClientSecret: string): ClientMetadata[] {
  return [
    nativeClient(DESKTOP_CLIENT_ID, 'authlab desktop'),
    // Its own registration, so the consent page names the app that really asks.
    nativeClient(CLI_CLIENT_ID, 'authlab terminal client'),
    {
      client_id: WEB_CLIENT_ID,
      client_name: 'authlab (federated sign-in)',
      client_secret: webClientSecret,
      application_type: 'web',
      token_endpoint_auth_method: 'client_secret_basic',
      redirect_uris: [`${endpoints.publicUrl}${WEB_CALLBACK_PATH}`],
      post_logout_redirect_uris: [`${endpoints.publicUrl}/`],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      id_token_signed_response_alg: 'EdDSA',
      // auth_time in every ID token: a sign-in the provider's earlier session answered is told apart.
      require_auth_time: true,
    },
    {
      client_id: PLAYGROUND_CLIENT_ID,
      client_name: 'authlab walkthrough',
      application_type: 'web',
      token_endpoint_auth_method: 'none',
      redirect_uris: [`${endpoints.publicUrl}${PLAYGROUND_CALLBACK_PATH}`],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      // No algorithm registered, like most third-party relying parties: ID tokens in RS256.
      require_auth_time: true,
    },
    {
      client_id: COMPARE_CLIENT_ID,
      client_name: 'authlab compare dashboard',
      application_type: 'web',
      token_endpoint_auth_method: 'none',
      redirect_uris: [`${endpoints.publicUrl}${COMPARE_PATH}`],
      post_logout_redirect_uris: [`${endpoints.publicUrl}${COMPARE_PATH}`],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      id_token_signed_response_alg: 'EdDSA',
      require_auth_time: true,
    },
  ];
}
