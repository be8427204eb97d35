/**
 * A tiny OAuth 2.0 authorization server, and the API it guards, for one public native client: the
 * Notes app on alice's phone. It has no client secret (anything shipped in an app is readable), and
 * it receives its authorization response at the private-use URI `com.example.notes:/callback`
 * (RFC 8252 §7.1). alice is signed in at this server and has approved Notes before, so /authorize
 * answers at once (the real login and consent pages are out of scope here).
 *
 *   GET  /authorize?response_type=code&client_id&redirect_uri&state&code_challenge&code_challenge_method
 *        → 302 redirect_uri?code=…&state=…  (or ?error=…)
 *   POST /token  grant_type=authorization_code&code&client_id&redirect_uri&code_verifier
 *        → 200 {access_token, token_type, expires_in} | 400 {error, error_description}
 *   GET  /api/me  Authorization: Bearer <access_token>  → 200 {sub} | 401
 */
import { createHash, randomBytes } from 'node:crypto';
import { labServer } from '@authlab/lab-kit/server';
import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import Koa from 'koa';

const CLIENTS: Record<string, { redirectUris: string[] }> = {
  'notes-app': { redirectUris: ['com.example.notes:/callback'] },
};
const SIGNED_IN_USER = 'alice';
const CODE_TTL_MS = 60_000; // short-lived and single use (RFC 6749 §4.1.2)
const TOKEN_TTL_MS = 15 * 60_000;

interface IssuedCode {
  clientId: string;
  redirectUri: string;
  sub: string;
  challenge: string | undefined;
  method: string;
  expiresAt: number;
}

const random = () => randomBytes(32).toString('base64url');
const s256 = (verifier: string) => createHash('sha256').update(verifier).digest('base64url');

export default labServer((lab) => {
  const codes = new Map<string, IssuedCode>();
  const tokens = new Map<string, { sub: string; expiresAt: number }>();
  lab.publish({ clientId: 'notes-app', redirectUri: 'com.example.notes:/callback' });
  const router = new Router();

  router.get('/authorize', (ctx) => {
    const param = (name: string) => {
      const value = ctx.query[name]; // a repeated parameter is an array: treated as missing
      return typeof value === 'string' ? value : undefined;
    };
    const clientId = param('client_id') ?? '';
    const redirectUri = param('redirect_uri') ?? '';
    if (!CLIENTS[clientId]?.redirectUris.includes(redirectUri)) {
      // Never send the browser to an unverified URI: tell the user instead (RFC 6749 §4.1.2.1).
      ctx.status = 400;
      ctx.body = { error: 'invalid_request', error_description: 'unknown client_id or redirect_uri' };
      return;
    }
    const answer = (params: Record<string, string>) => {
      const state = param('state');
      ctx.redirect(`${redirectUri}?${new URLSearchParams(state ? { ...params, state } : params)}`);
    };
    if (param('response_type') !== 'code') return answer({ error: 'unsupported_response_type' });

    // WEAKNESS: PKCE is optional, and `plain` is accepted (the default, even). A request without a
    // code_challenge gets a code that anyone holding it can redeem, and a `plain` challenge is the
    // verifier itself, readable by whoever sees this URL.
    const challenge = param('code_challenge');
    const method = param('code_challenge_method') ?? 'plain';
    if (method !== 'S256' && method !== 'plain') {
      return answer({ error: 'invalid_request', error_description: 'unsupported code_challenge_method' });
    }

    const code = random();
    const expiresAt = lab.clock() + CODE_TTL_MS;
    codes.set(code, { clientId, redirectUri, sub: SIGNED_IN_USER, challenge, method, expiresAt });
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
    // Bound to its client and redirect URI (RFC 6749 §4.1.3). A public client has no secret, so
    // anyone who knows these two public values passes this test.
    if (body.client_id !== issued.clientId || body.redirect_uri !== issued.redirectUri) {
      return fail('invalid_grant', 'the code was issued to another client or redirect_uri');
    }

    // WEAKNESS: the verifier is checked only when the client sends one, "so that apps without
    // PKCE keep working". Whoever intercepted the code simply leaves it out.
    const verifier = body.code_verifier;
    if (issued.challenge !== undefined && typeof verifier === 'string') {
      const derived = issued.method === 'S256' ? s256(verifier) : verifier;
      if (derived !== issued.challenge) return fail('invalid_grant', 'code_verifier does not match the challenge');
    }

    const accessToken = random();
    tokens.set(accessToken, { sub: issued.sub, expiresAt: lab.clock() + TOKEN_TTL_MS });
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
