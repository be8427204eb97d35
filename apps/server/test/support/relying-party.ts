import { after, before } from 'node:test';
import * as oidc from 'openid-client';
import { DESKTOP, followToClient } from './oidc.ts';
import { type Client, startTestServer, type TestServer } from './server.ts';

/** The loopback redirect a native app would listen on (RFC 8252 §7.3: any port). */
export const RP_REDIRECT = 'http://127.0.0.1:53999/callback';

/**
 * openid-client 6 as the native app: software we did not write, configured from our discovery
 * document alone, as a third-party relying party would be.
 */
export async function thirdPartyApp(publicUrl: string): Promise<oidc.Configuration> {
  return oidc.discovery(new URL(`${publicUrl}/oidc`), DESKTOP, undefined, oidc.None(), {
    // Loopback http only: the test server has no TLS.
    execute: [oidc.allowInsecureRequests],
  });
}

export interface SignInOptions {
  scope?: string;
  /** The app's registered redirect URI (default: a loopback one of authlab-desktop). */
  redirectUri?: string;
  email?: string;
  password?: string;
  extra?: Record<string, string>;
}

/**
 * One sign-in by openid-client: it builds the authorization URL (PKCE S256, state), `browser`
 * (a cookie jar standing in for the person's browser) fills in login and consent, and
 * openid-client redeems the code, checking state, iss and the ID token itself. `passwordAsked`
 * tells whether the provider showed the login form (no live provider session) or skipped it.
 */
export async function signInWithOpenidClient(config: oidc.Configuration, browser: Client, options: SignInOptions = {}) {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const scope = options.scope ?? 'openid email api';
  const redirectUri = options.redirectUri ?? RP_REDIRECT;
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope,
    state,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    // OpenID Connect Core §11: offline_access is honoured only with prompt=consent.
    ...(scope.includes('offline_access') ? { prompt: 'consent' } : {}),
    ...options.extra,
  });
  const ended = await followToClient(browser, url.pathname + url.search, redirectUri, options);
  if (!ended.url) throw new Error(`no redirect to the app: ${ended.status} ${ended.body}`);
  const tokens = await oidc.authorizationCodeGrant(config, ended.url, {
    pkceCodeVerifier: verifier,
    expectedState: state,
  });
  return { tokens, passwordAsked: ended.passwordAsked };
}

/**
 * Registers `before`/`after` hooks on the enclosing `describe`: a test server and openid-client
 * configured against it as authlab-desktop. Read `server` and `config` inside tests only.
 */
export function useServerAndThirdPartyApp(): { readonly server: TestServer; readonly config: oidc.Configuration } {
  let server: TestServer | undefined;
  let config: oidc.Configuration | undefined;
  before(async () => {
    server = await startTestServer();
    config = await thirdPartyApp(server.url);
  });
  after(() => server?.stop());
  return {
    get server() {
      if (!server) throw new Error('the test server is not running: read it inside a test');
      return server;
    },
    get config() {
      if (!config) throw new Error('no relying party yet: read it inside a test');
      return config;
    },
  };
}
