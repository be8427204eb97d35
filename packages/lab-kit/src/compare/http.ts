/**
 * The non-browser clients of the comparison: a small HTTP client with a cookie jar (a CLI, or a
 * thief replaying what it copied), and each mode's sign-in as its own clients do it. No Origin and
 * no Sec-Fetch-* headers are sent: that is how a non-browser client looks to the origin check.
 */
import { createHash, createPublicKey, randomBytes, verify } from 'node:crypto';
import { CookieJarClient, followToClient } from '@authlab/testkit';
import type { Mode } from './types.ts';

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  /** The JSON body, or undefined. */
  body: Record<string, unknown> | undefined;
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  json?: unknown;
  form?: Record<string, string>;
}

/** The comparison's HTTP client: the shared cookie jar, with each answer read as text and JSON. */
export class HttpClient {
  readonly #jar: CookieJarClient;

  constructor(base: string) {
    this.#jar = new CookieJarClient(base);
  }

  get base(): string {
    return this.#jar.base;
  }

  get cookies(): Map<string, string> {
    return this.#jar.cookies;
  }

  cookieHeader(): string {
    return this.#jar.cookieHeader();
  }

  async request(path: string, options: RequestOptions = {}): Promise<Answer> {
    const response = await this.#jar.request(path, options);
    const text = await response.text();
    let parsed: Record<string, unknown> | undefined;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: response.status, headers: response.headers, text, body: parsed };
  }
}

/** What a client of the mode sends with every API request, and what it keeps to renew it. */
export interface ModeCredential {
  mode: Mode;
  email: string;
  /** The one header that carries the credential to the API. */
  header: { name: 'Cookie' | 'Authorization'; value: string };
  /** The raw credential inside that header (cookie pairs, or the bearer token). */
  raw: string;
  refreshToken: string | null;
}

/** Bytes of the header field as it travels in HTTP/1.1: `Name: value` and its CRLF. */
export const headerLineBytes = (header: { name: string; value: string }) =>
  Buffer.byteLength(`${header.name}: ${header.value}\r\n`, 'latin1');

export const credentialHeaders = (credential: ModeCredential): Record<string, string> => ({
  [credential.header.name.toLowerCase()]: credential.header.value,
});

export const OIDC_NATIVE_CLIENT = 'authlab-desktop';
/** Where the provider sends the native client's code; read from its redirect, so nothing listens there. */
export const LOOPBACK_REDIRECT = 'http://127.0.0.1:53682/callback';

function expect200(answer: Answer, what: string): void {
  if (answer.status !== 200) throw new Error(`${what} answered ${answer.status}: ${answer.text.slice(0, 200)}`);
}

/**
 * A person at the provider's pages, played over plain HTTP like a browser without JavaScript
 * (testkit's followToClient: login form, then consent) up to the redirect to `redirectUri`, which
 * is returned (with its code and state), not followed: no listener needs to be there.
 */
export async function consentAtProvider(
  base: string,
  authorizationUrl: URL,
  redirectUri: string,
  account: { email: string; password: string },
): Promise<URL> {
  const start = authorizationUrl.pathname + authorizationUrl.search;
  const ended = await followToClient(new CookieJarClient(base), start, redirectUri, account);
  if (ended.url) return ended.url;
  throw new Error(`OIDC: no authorization code (last answer ${ended.status}: ${ended.body.slice(0, 200)})`);
}

/**
 * Authorization code + PKCE with the public native client: the authorization request, the
 * person's consent over HTTP (consentAtProvider), then the code at the token endpoint.
 */
export async function oidcSignIn(base: string, email: string, password: string) {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const state = randomBytes(16).toString('base64url');
  const params = new URLSearchParams({
    client_id: OIDC_NATIVE_CLIENT,
    response_type: 'code',
    redirect_uri: LOOPBACK_REDIRECT,
    scope: 'openid email offline_access api',
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    // OpenID Connect Core §11: offline_access (a refresh token) is honoured with prompt=consent.
    prompt: 'consent',
  });
  const authorization = new URL(`/oidc/auth?${params}`, base);
  const back = await consentAtProvider(base, authorization, LOOPBACK_REDIRECT, { email, password });
  if (back.searchParams.get('state') !== state) throw new Error('OIDC: the state came back changed');
  const code = back.searchParams.get('code');
  if (!code) throw new Error(`OIDC: the redirect carries no code: ${back.search}`);
  const tokens = await new HttpClient(base).request('/oidc/token', {
    method: 'POST',
    form: {
      client_id: OIDC_NATIVE_CLIENT,
      grant_type: 'authorization_code',
      code,
      redirect_uri: LOOPBACK_REDIRECT,
      code_verifier: verifier,
    },
  });
  expect200(tokens, 'POST /oidc/token');
  return {
    accessToken: String(tokens.body?.access_token),
    refreshToken: typeof tokens.body?.refresh_token === 'string' ? tokens.body?.refresh_token : null,
  };
}

/** Signs `email` in the way a client of `mode` does, over HTTP. */
export async function signIn(base: string, mode: Mode, email: string, password: string): Promise<ModeCredential> {
  const client = new HttpClient(base);
  switch (mode) {
    case 'session': {
      const login = await client.request('/session/login', { method: 'POST', json: { email, password } });
      expect200(login, 'POST /session/login');
      const value = client.cookieHeader();
      return { mode, email, header: { name: 'Cookie', value }, raw: value, refreshToken: null };
    }
    case 'jwt': {
      const login = await client.request('/jwt/login', {
        method: 'POST',
        json: { email, password, device_name: 'pnpm lab compare' },
      });
      expect200(login, 'POST /jwt/login');
      const token = String(login.body?.access_token);
      return {
        mode,
        email,
        header: { name: 'Authorization', value: `Bearer ${token}` },
        raw: token,
        refreshToken: String(login.body?.refresh_token),
      };
    }
    case 'oidc': {
      const { accessToken, refreshToken } = await oidcSignIn(base, email, password);
      return {
        mode,
        email,
        header: { name: 'Authorization', value: `Bearer ${accessToken}` },
        raw: accessToken,
        refreshToken,
      };
    }
  }
}

/** GET /api/me with the credential (on any instance). */
export function apiMe(base: string, credential: ModeCredential): Promise<Answer> {
  return new HttpClient(base).request('/api/me', { headers: credentialHeaders(credential) });
}

/**
 * "Log out everywhere" from the legitimate client, through the mode's own route (the API's
 * `POST /api/logout-all` for OIDC, whose clients have no other).
 */
export function logoutEverywhere(base: string, credential: ModeCredential): Promise<Answer> {
  const path = { session: '/session/logout-all', jwt: '/jwt/logout-all', oidc: '/api/logout-all' }[credential.mode];
  return new HttpClient(base).request(path, { method: 'POST', headers: credentialHeaders(credential) });
}

/**
 * One use of a refresh token, as a thief holding a copy would try it: `works` when a new pair came
 * back (the thief keeps the new refresh token), the status otherwise.
 */
export async function tryRefresh(
  base: string,
  mode: Mode,
  refreshToken: string,
): Promise<{ works: boolean; status: number; error: string; next: string | null }> {
  const client = new HttpClient(base);
  const answer =
    mode === 'jwt'
      ? await client.request('/jwt/refresh', { method: 'POST', json: { refresh_token: refreshToken } })
      : await client.request('/oidc/token', {
          method: 'POST',
          form: { client_id: OIDC_NATIVE_CLIENT, grant_type: 'refresh_token', refresh_token: refreshToken },
        });
  const next = typeof answer.body?.refresh_token === 'string' ? (answer.body.refresh_token as string) : null;
  return { works: answer.status === 200, status: answer.status, error: String(answer.body?.error ?? ''), next };
}

/** A JWT's three parts' lengths and its decoded header and claims (nothing verified). */
export function jwtParts(token: string) {
  const [header = '', claims = '', signature = ''] = token.split('.');
  const decode = (part: string) => {
    try {
      return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
    } catch {
      return {};
    }
  };
  return {
    lengths: [header.length, claims.length, signature.length] as const,
    header: decode(header),
    claims: decode(claims),
  };
}

/** Where `base` publishes the public keys of the mode's tokens (the OIDC one from discovery). */
export async function jwksUrl(base: string, mode: 'jwt' | 'oidc'): Promise<string> {
  if (mode === 'jwt') return new URL('/.well-known/jwks.json', base).href;
  const discovery = await new HttpClient(base).request('/oidc/.well-known/openid-configuration');
  // Discovery names PUBLIC_URL; ask this very instance.
  return new URL(new URL(String(discovery.body?.jwks_uri ?? `${base}/oidc/jwks`)).pathname, base).href;
}

/** Whether the JWT's EdDSA signature verifies with a key of the JWKS at `url`: the check a JWKS-only verifier makes. */
export async function signatureVerifiesWith(url: string, token: string): Promise<boolean> {
  const jwks = (await (await fetch(url)).json()) as { keys: Array<{ kid?: string }> };
  const [header = '', claims = '', signature = ''] = token.split('.');
  const jwk = jwks.keys.find((key) => key.kid === jwtParts(token).header.kid);
  if (!jwk) return false;
  const key = createPublicKey({ key: jwk as never, format: 'jwk' });
  return verify(null, Buffer.from(`${header}.${claims}`), key, Buffer.from(signature, 'base64url'));
}
