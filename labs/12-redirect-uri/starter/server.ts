/**
 * A tiny OAuth 2.0 authorization server, and the API it guards, for the two public clients of the
 * Notes service (neither has a secret; PKCE S256 is required, as lab 11 left it):
 *
 *   notes-web      the single-page web app, served from its own origin (started below)
 *   notes-desktop  the native app: it listens on a free loopback port per sign-in (RFC 8252 §7.3)
 *
 * alice is signed in at this server and has approved both apps, so /authorize answers at once
 * (the real login and consent pages are out of scope here).
 *
 *   GET  /authorize?response_type=code&client_id&redirect_uri&state&code_challenge&code_challenge_method=S256
 *        → 302 redirect_uri?code=…&state=…  (or ?error=…)
 *   POST /token  grant_type=authorization_code&code&client_id&redirect_uri&code_verifier
 *        → 200 {access_token, token_type, expires_in} | 400 {error, error_description}
 *   GET  /api/me  Authorization: Bearer <access_token>  → 200 {sub} | 401
 */
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { labServer } from '@authlab/lab-kit/server';
import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import Koa from 'koa';

interface Client {
  native: boolean;
  redirectUris: string[];
}
const SIGNED_IN_USER = 'alice';
const CODE_TTL_MS = 60_000;
const TOKEN_TTL_MS = 15 * 60_000;

const random = () => randomBytes(32).toString('base64url');
const s256 = (verifier: string) => createHash('sha256').update(verifier).digest('base64url');

// WEAKNESS: the desktop app comes back on a different port every time, so only the scheme and the
// host are compared, for every client. Any port and any path on that host pass: for the web app,
// a server on another port of 127.0.0.1 (another origin, someone else's site) receives the code.
function redirectAllowed(client: Client, redirectUri: string): boolean {
  const wanted = URL.parse(redirectUri);
  return client.redirectUris.some((uri) => {
    const registered = new URL(uri);
    return wanted?.protocol === registered.protocol && wanted.hostname === registered.hostname;
  });
}

export default labServer(async (lab) => {
  // The Notes web app itself: a page whose script would redeem the code (not part of this lab).
  const webApp = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<h1>Notes</h1><p>Signing you in…</p>');
  });
  await once(webApp.listen(0, '127.0.0.1'), 'listening');
  const webRedirectUri = `http://127.0.0.1:${(webApp.address() as AddressInfo).port}/callback`;
  const clients: Record<string, Client> = {
    'notes-web': { native: false, redirectUris: [webRedirectUri] },
    'notes-desktop': { native: true, redirectUris: ['http://127.0.0.1/callback', 'http://[::1]/callback'] },
  };
  lab.publish({ webRedirectUri });

  const codes = new Map<string, { clientId: string; redirectUri: string; challenge: string; expiresAt: number }>();
  const tokens = new Map<string, { sub: string; expiresAt: number }>();
  const router = new Router();

  router.get('/authorize', (ctx) => {
    const param = (name: string) => {
      const value = ctx.query[name]; // a repeated parameter is an array: treated as missing
      return typeof value === 'string' ? value : undefined;
    };
    const clientId = param('client_id') ?? '';
    const redirectUri = param('redirect_uri') ?? '';
    const client = clients[clientId];
    const answer = (params: Record<string, string>) => {
      const state = param('state');
      ctx.redirect(`${redirectUri}?${new URLSearchParams(state ? { ...params, state } : params)}`);
    };
    if (!URL.canParse(redirectUri)) {
      ctx.status = 400;
      ctx.body = { error: 'invalid_request', error_description: 'redirect_uri is missing or not a URL' };
      return;
    }
    // WEAKNESS: a request whose redirect_uri is refused is still redirected there, with the error.
    // Whoever wrote the link picks where the browser goes next: the authorization server has become
    // an open redirector on a domain people trust.
    if (!client || !redirectAllowed(client, redirectUri)) {
      return answer({ error: 'invalid_request', error_description: 'redirect_uri is not registered for this client' });
    }
    if (param('response_type') !== 'code') return answer({ error: 'unsupported_response_type' });
    const challenge = param('code_challenge');
    if (!challenge || !/^[A-Za-z0-9_-]{43}$/.test(challenge) || param('code_challenge_method') !== 'S256') {
      return answer({ error: 'invalid_request', error_description: 'code_challenge with method S256 is required' });
    }
    const code = random();
    codes.set(code, { clientId, redirectUri, challenge, expiresAt: lab.clock() + CODE_TTL_MS });
    answer({ code });
  });

  router.post('/token', (ctx) => {
    const body = (ctx.request.body ?? {}) as Record<string, unknown>;
    const fail = (error: string, description: string) => {
      ctx.status = 400;
      ctx.body = { error, error_description: description };
    };
    if (body.grant_type !== 'authorization_code') return fail('unsupported_grant_type', 'authorization_code only');
    const issued = typeof body.code === 'string' ? codes.get(body.code) : undefined;
    if (issued) codes.delete(body.code as string); // single use: the first presentation burns it
    if (!issued || issued.expiresAt <= lab.clock()) return fail('invalid_grant', 'unknown, used or expired code');
    // The same client and the very redirect_uri of the authorization request (RFC 6749 §4.1.3).
    if (body.client_id !== issued.clientId || body.redirect_uri !== issued.redirectUri) {
      return fail('invalid_grant', 'the code was issued to another client or redirect_uri');
    }
    if (typeof body.code_verifier !== 'string' || s256(body.code_verifier) !== issued.challenge) {
      return fail('invalid_grant', 'code_verifier is missing or does not match the challenge');
    }
    const accessToken = random();
    tokens.set(accessToken, { sub: SIGNED_IN_USER, expiresAt: lab.clock() + TOKEN_TTL_MS });
    ctx.set('cache-control', 'no-store');
    ctx.body = { access_token: accessToken, token_type: 'Bearer', expires_in: TOKEN_TTL_MS / 1000 };
  });

  router.get('/api/me', (ctx) => {
    const token = /^Bearer (\S+)$/.exec(ctx.get('authorization'))?.[1];
    const grant = token ? tokens.get(token) : undefined;
    if (!grant || grant.expiresAt <= lab.clock()) {
      ctx.status = 401;
      ctx.set('www-authenticate', 'Bearer');
      ctx.body = { error: 'invalid_token' };
      return;
    }
    ctx.body = { sub: grant.sub };
  });

  return new Koa().use(bodyParser()).use(router.routes());
});
