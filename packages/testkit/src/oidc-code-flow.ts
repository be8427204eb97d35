/**
 * The OpenID Provider's authorization code flow driven over plain HTTP, the way a browser without
 * JavaScript would (a cookie jar, its login and consent forms): the server's protocol tests and
 * the native client's tests get codes and tokens from the real provider this way.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { CookieJarClient } from './cookie-jar-client.ts';
import { DEMO_PASSWORD } from './server-process.ts';

export const DESKTOP = 'authlab-desktop';

export function pkcePair() {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  return { verifier, challenge };
}

export interface AuthorizeOptions {
  redirectUri?: string;
  scope?: string;
  resource?: string;
  challenge?: string;
  extra?: Record<string, string>;
  email?: string;
  password?: string;
}

/**
 * Drives the provider like a browser without JavaScript would (the HTTP client keeps cookies):
 * authorization request → login form → consent → the redirect to the client's loopback URI.
 * Resolves to the final redirect's parameters (code, state, iss or error).
 */
export async function authorize(browser: CookieJarClient, options: AuthorizeOptions = {}) {
  const pkce = pkcePair();
  const state = randomBytes(16).toString('base64url');
  const redirectUri = options.redirectUri ?? 'http://127.0.0.1:53682/callback';
  const params = new URLSearchParams({
    client_id: DESKTOP,
    response_type: 'code',
    redirect_uri: redirectUri,
    scope: options.scope ?? 'openid email offline_access api',
    state,
    code_challenge: options.challenge ?? pkce.challenge,
    code_challenge_method: 'S256',
    ...(options.resource ? { resource: options.resource } : {}),
    ...(options.extra ?? {}),
  });
  // OpenID Connect Core §11: offline_access is honoured only with prompt=consent.
  if (options.extra?.prompt === undefined && (params.get('scope') ?? '').includes('offline_access')) {
    params.set('prompt', 'consent');
  }
  const ended = await followToClient(browser, `/oidc/auth?${params}`, redirectUri, options);
  return { ...ended, state, verifier: pkce.verifier, redirectUri };
}

/**
 * Follows an authorization request the way a browser without JavaScript would, filling in the
 * login form (with `email`/`password`, alice by default) and confirming consent, until the
 * provider redirects to `redirectUri`. `url` is that redirect, or null with the last answer's
 * status and body when it never came; `passwordAsked` tells whether the login form was shown.
 */
export async function followToClient(
  browser: CookieJarClient,
  start: string,
  redirectUri: string,
  credentials: { email?: string; password?: string } = {},
) {
  let response = await browser.request(start);
  const seen: string[] = [];
  // Whether the login form was shown: a live provider session skips it.
  let passwordAsked = false;
  for (let hop = 0; hop < 10; hop++) {
    const location = response.headers.get('location');
    if (!location) break;
    const url = new URL(location, browser.base);
    seen.push(url.toString());
    if (url.toString().startsWith(redirectUri.split('?')[0] ?? redirectUri) && !url.pathname.startsWith('/oidc/')) {
      return { url, seen, params: url.searchParams, passwordAsked };
    }
    if (url.pathname.startsWith('/oidc/interaction/')) {
      const page = await browser.request(url.pathname);
      const html = await page.text();
      const uid = url.pathname.split('/')[3] ?? '';
      if (html.includes('name="password"')) {
        passwordAsked = true;
        response = await browser.request(`/oidc/interaction/${uid}/login`, {
          method: 'POST',
          form: { email: credentials.email ?? 'alice@example.com', password: credentials.password ?? DEMO_PASSWORD },
        });
      } else {
        response = await browser.request(`/oidc/interaction/${uid}/confirm`, { method: 'POST', form: {} });
      }
      continue;
    }
    response = await browser.request(url.pathname + url.search);
  }
  const body = await response.text();
  return { url: null, seen, status: response.status, body, params: null, passwordAsked };
}

/** POST to the token endpoint as the public native client. */
export async function tokenRequest(client: CookieJarClient, form: Record<string, string>) {
  return client.json('/oidc/token', { method: 'POST', form: { client_id: DESKTOP, ...form } });
}
