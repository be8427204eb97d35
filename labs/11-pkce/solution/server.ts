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
  challenge: string;
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

    // FIX: a public client must send a valid code_challenge (an S256 one is 43 base64url characters,
    // RFC 7636 §4.2), and only S256: `plain` would put the verifier itself in this URL
    // (RFC 7636 §4.4.1, RFC 9700 §2.1.1, ASVS 5.0 V10.4.6).
    const challenge = param('code_challenge');
    if (!challenge || !/^[A-Za-z0-9_-]{43}$/.test(challenge) || param('code_challenge_method') !== 'S256') {
      return answer({ error: 'invalid_request', error_description: 'code_challenge with method S256 is required' });
    }

    const code = random();
    const expiresAt = lab.clock() + CODE_TTL_MS;
    codes.set(code, { clientId, redirectUri, sub: SIGNED_IN_USER, challenge, expiresAt });
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

    // FIX: no code without its verifier. Only the app that made the challenge knows the verifier,
    // so a missing or wrong one means someone else holds this code (RFC 7636 §4.6, RFC 9700 §2.1.1).
    const verifier = body.code_verifier;
    if (typeof verifier !== 'string' || s256(verifier) !== issued.challenge) {
      return fail('invalid_grant', 'code_verifier is missing or does not match the challenge');
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
