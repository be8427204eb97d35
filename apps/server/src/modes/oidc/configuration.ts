import type { Clock, Store } from '@authlab/store';
import type { Configuration, KoaContextWithOIDC } from 'oidc-provider';
import { errors, interactionPolicy } from 'oidc-provider';
import { storeAdapterFactory } from './adapter.ts';
import { type OidcEndpoints, registeredClients } from './clients.ts';
import { logoutSource, postLogoutSuccessSource, renderError } from './provider-pages.ts';

export interface ProviderSettings {
  endpoints: OidcEndpoints;
  store: Store;
  clock: Clock;
  /** Private JWKs (Ed25519 and RSA), current first (the provider signs with the first matching key). */
  jwks: ReadonlyArray<object>;
  cookieKeys: string[];
  /** `Secure` cookies with prefixes (https, or a loopback PUBLIC_URL), as for the session mode. */
  secureCookies: boolean;
  webClientSecret: string;
  accessTokenTtlSec: number;
  refreshTokenTtlSec: number;
}

/**
 * Every policy choice of the OpenID Provider, with its reason, in one place (the way
 * oidc-provider's own defaults are documented).
 */
export function providerConfiguration(s: ProviderSettings): Configuration {
  const api = s.endpoints.apiResource;
  return {
    adapter: storeAdapterFactory(s.store.oidc, s.clock),
    clients: registeredClients(s.endpoints, s.webClientSecret),
    clientDefaults: {
      grant_types: ['authorization_code'],
      response_types: ['code'],
      // OIDC Core §15.1 / Discovery §3: RS256 is the one algorithm every relying party verifies
      // (.NET, older Keycloak, jsonwebtoken-era libraries know no EdDSA); a client registers
      // EdDSA to get it (ours do).
      id_token_signed_response_alg: 'RS256',
    },
    // Only what our clients use (clients.ts): `none` for the public ones (authlab-desktop,
    // authlab-playground; PKCE stands in for a secret, RFC 8252 §8.4), `client_secret_basic` for
    // authlab-web, the method every server must support (RFC 6749 §2.3.1). The default list also
    // takes the secret in the form body (`client_secret_post`, which RFC 6749 §2.3.1 says is NOT
    // RECOMMENDED and which the provider accepted for authlab-web too) and JWT assertions
    // (`client_secret_jwt`, `private_key_jwt`) no client has keys for. Discovery lists just these,
    // and any other method is `invalid_client`.
    clientAuthMethods: ['none', 'client_secret_basic'],
    jwks: { keys: s.jwks as never },
    cookies: providerCookies(s.cookieKeys, s.secureCookies),
    // RFC 9700 §2.1.2: only the authorization code flow; no implicit or hybrid response types.
    responseTypes: ['code'],
    // RFC 9700 §2.1.1: PKCE for every client; oidc-provider supports only S256 (no `plain`).
    pkce: { required: () => true },
    scopes: ['openid', 'offline_access', 'email', 'api'],
    claims: { openid: ['sub'], email: ['email', 'email_verified'] },
    // RS256 the default (clientDefaults); the ring holds a key of each (OIDC_KEY_ALGORITHMS).
    enabledJWA: { idTokenSigningAlgValues: ['RS256', 'EdDSA'] },
    features: {
      // Our own login and consent pages, backed by the shared user store (never the dev pages).
      devInteractions: { enabled: false },
      // On by default in oidc-provider 9, off here: no client of ours uses them.
      // DPoP (RFC 9449) would bind access tokens to a client key, but the API checks no DPoP
      // proof (bearer.ts), so a bound token would be accepted there as a plain bearer token: a
      // sender constraint advertised and not enforced. Turn it on with the API's proof check.
      dPoP: { enabled: false },
      // Pushed authorization requests (RFC 9126): unused, and one more way for authorization
      // parameters to reach the provider besides the query that response-modes.ts checks.
      pushedAuthorizationRequests: { enabled: false },
      // Already off by default, stated so discovery's `false` is a decision: no `claims` request
      // parameter (OIDC Core §5.5), no request objects (`request`, `request_uri`: RFC 9101).
      claimsParameter: { enabled: false },
      requestObjects: { enabled: false },
      // RFC 7009.
      revocation: { enabled: true },
      // OpenID Connect RP-Initiated Logout, only to registered post-logout URIs.
      rpInitiatedLogout: { enabled: true, logoutSource, postLogoutSuccessSource },
      // RFC 8707: access tokens for the API are JWTs with the API as audience.
      resourceIndicators: {
        enabled: true,
        defaultResource: async () => api,
        useGrantedResource: async () => true,
        getResourceServerInfo: async (_ctx: KoaContextWithOIDC, resource: string) => {
          if (resource !== api) throw new errors.InvalidTarget();
          return {
            scope: 'api',
            audience: api,
            accessTokenTTL: s.accessTokenTtlSec,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'EdDSA' } },
          };
        },
      },
    },
    // The grant id travels in the access token so the API can refuse one whose grant was revoked.
    extraTokenClaims: async (_ctx, token) =>
      token.kind === 'AccessToken' && 'grantId' in token && token.grantId ? { gid: token.grantId } : undefined,
    interactions: {
      url: async (_ctx, interaction) => `/oidc/interaction/${interaction.uid}`,
      policy: loginAgainForUnavailableAccounts(),
    },
    findAccount: async (_ctx, sub) => {
      const user = await s.store.users.findById(sub);
      if (!user || user.disabled) return undefined;
      return {
        accountId: user.id,
        claims: async () => ({ sub: user.id, email: user.email, email_verified: true }),
      };
    },
    // Refresh tokens only for `offline_access`, rotated on every use; a replayed one revokes the
    // grant (the provider's rule, made race-free by the adapter's atomic consume).
    issueRefreshToken: async (_ctx, client, code) =>
      client.grantTypeAllowed('refresh_token') && code.scopes.has('offline_access'),
    rotateRefreshToken: true,
    ttl: {
      // Short-lived, single use (RFC 6749 §4.1.2 recommends at most 10 minutes; we take 60 s).
      AuthorizationCode: 60,
      AccessToken: s.accessTokenTtlSec,
      IdToken: 3600,
      RefreshToken: s.refreshTokenTtlSec,
      Grant: s.refreshTokenTtlSec,
      Interaction: 600,
      Session: 14 * 24 * 3600,
    },
    renderError,
  };
}

/**
 * The provider's cookies, held to the session mode's rules (ASVS V3.4.1, V3.4.3): `Secure` where
 * PUBLIC_URL is https (or loopback); the sign-in session cookie `__Host-` (Path=/, no Domain: no
 * other host or path may set or shadow it, RFC 6265bis §4.1.3.2); the interaction cookies, scoped
 * to their interaction's path, `__Secure-`. Their values are signed with the server's session keys.
 */
function providerCookies(keys: string[], secure: boolean): NonNullable<Configuration['cookies']> {
  const prefix = (host: boolean) => (secure ? (host ? '__Host-' : '__Secure-') : '');
  return {
    keys,
    names: {
      session: `${prefix(true)}authlab.oidc.session`,
      interaction: `${prefix(false)}authlab.oidc.interaction`,
      resume: `${prefix(false)}authlab.oidc.resume`,
    },
    long: { httpOnly: true, sameSite: 'lax', secure, path: '/' },
    short: { httpOnly: true, sameSite: 'lax', secure },
  };
}

/**
 * oidc-provider's prompts, plus one login check: a provider session whose account is disabled or
 * gone (findAccount answers undefined) asks for the password again. Without it the provider takes
 * the session as signed in, finds no account and fails with 500 server_error; with it the person
 * gets the login page, where a disabled account cannot sign in (and `prompt=none` gets
 * login_required, OIDC Core §3.1.2.6).
 */
function loginAgainForUnavailableAccounts() {
  const { Check, base } = interactionPolicy;
  const policy = base();
  const login = policy.get('login');
  if (!login) throw new Error('oidc-provider has no login prompt');
  const noSession = login.checks.findIndex((check) => check.reason === 'no_session');
  login.checks.add(
    new Check('account_unavailable', 'the signed-in account is disabled or no longer exists', (ctx) =>
      ctx.oidc.session?.accountId && !ctx.oidc.account ? Check.REQUEST_PROMPT : Check.NO_NEED_TO_PROMPT,
    ),
    noSession + 1,
  );
  return policy;
}
