/**
 * A small OAuth 2.0 authorization server for one public native client: the authorization code
 * grant (RFC 6749 §4.1) with PKCE (RFC 7636). It is not the weak part of this lab: the same file
 * is in starter/ and solution/. PKCE is optional here only so that the starter's app, which does
 * not send it, can sign in at all; a real server requires it of public clients (lab 11).
 *
 *   GET  /authorize?response_type=code&client_id&redirect_uri[&state][&code_challenge&code_challenge_method=S256]
 *                       the sign-in page
 *   POST /authorize?…   form {username, password}   303 → redirect_uri?code=…&state=…
 *   POST /token         form {grant_type=authorization_code, code, redirect_uri, client_id[, code_verifier]}
 *                       200 {access_token, token_type, expires_in} | 400 {error}
 *   GET  /userinfo      Bearer   200 {username} | 401
 */
import { createHash, randomBytes } from 'node:crypto';
import { PasswordHasher } from '@authlab/auth-core';
import type { LabContext } from '@authlab/lab-kit/server';
import Router from '@koa/router';
import type { Context } from 'koa';

export const CLIENT_ID = 'notes-desktop';
/** RFC 8252 §7.3: a loopback IP literal with any port; the path is the registered one. */
const REDIRECT_URI = /^http:\/\/127\.0\.0\.1:\d{1,5}\/callback$/;
const CODE_TTL_MS = 60_000;

interface Grant {
  username: string;
  redirectUri: string;
  challenge: string | undefined;
  expiresAt: number;
}

const random = () => randomBytes(32).toString('base64url');
const s256 = (verifier: string) => createHash('sha256').update(verifier).digest('base64url');

export async function authorizationServer(lab: LabContext): Promise<Router> {
  const hasher = await PasswordHasher.create();
  const users = new Map([
    ['alice', await hasher.hash('alice-in-wonderland')],
    ['mallory', await hasher.hash('mallory-signs-up-too')], // an ordinary account: the attacker's own
  ]);
  const codes = new Map<string, Grant>();
  const accessTokens = new Map<string, string>(); // token → username

  /** The authorization request's parameters, or null after answering 400. */
  const authorizationRequest = (ctx: Context) => {
    const { response_type, client_id, redirect_uri, state, code_challenge, code_challenge_method } = ctx.query;
    const valid =
      response_type === 'code' &&
      client_id === CLIENT_ID &&
      typeof redirect_uri === 'string' &&
      REDIRECT_URI.test(redirect_uri) &&
      (state === undefined || typeof state === 'string') &&
      (code_challenge === undefined || (typeof code_challenge === 'string' && code_challenge_method === 'S256'));
    if (valid) {
      return {
        redirectUri: redirect_uri as string,
        state: state as string | undefined,
        challenge: code_challenge as string | undefined,
      };
    }
    ctx.status = 400;
    ctx.body = { error: 'invalid_request' };
    return null;
  };

  const router = new Router();
  router.get('/authorize', (ctx) => {
    if (!authorizationRequest(ctx)) return;
    ctx.type = 'html';
    ctx.body = `<!doctype html><title>Sign in to Notes</title><h1>Sign in to Notes</h1>
<form method="post"><input name="username" placeholder="username" autofocus>
<input name="password" type="password" placeholder="password"><button>Sign in</button></form>`;
  });

  router.post('/authorize', async (ctx) => {
    const request = authorizationRequest(ctx);
    if (!request) return;
    const { username, password } = (ctx.request.body ?? {}) as Record<string, unknown>;
    const hash = typeof username === 'string' ? users.get(username) : undefined;
    if (!hash || typeof password !== 'string' || !(await hasher.verify(hash, password)).ok) {
      ctx.status = 401;
      ctx.body = { error: 'invalid_credentials' };
      return;
    }
    const code = random();
    const { redirectUri, state, challenge } = request;
    codes.set(code, { username: username as string, redirectUri, challenge, expiresAt: lab.clock() + CODE_TTL_MS });
    const location = new URL(redirectUri);
    location.searchParams.set('code', code);
    if (state !== undefined) location.searchParams.set('state', state);
    ctx.status = 303;
    ctx.redirect(location.href);
  });

  router.post('/token', (ctx) => {
    const { grant_type, code, redirect_uri, client_id, code_verifier } = (ctx.request.body ?? {}) as Record<
      string,
      unknown
    >;
    const grant = typeof code === 'string' ? codes.get(code) : undefined;
    if (typeof code === 'string') codes.delete(code); // a code is good for one try only
    // RFC 7636 §4.6: the verifier must hash to the challenge. RFC 9700 §2.1.1: and a verifier for
    // a code that had no challenge is refused too (a PKCE downgrade).
    const pkce =
      grant?.challenge === undefined
        ? code_verifier === undefined
        : typeof code_verifier === 'string' && s256(code_verifier) === grant.challenge;
    ctx.set('Cache-Control', 'no-store');
    if (
      grant_type !== 'authorization_code' ||
      client_id !== CLIENT_ID ||
      !grant ||
      grant.expiresAt <= lab.clock() ||
      grant.redirectUri !== redirect_uri ||
      !pkce
    ) {
      ctx.status = 400;
      ctx.body = { error: 'invalid_grant' };
      return;
    }
    const accessToken = random();
    accessTokens.set(accessToken, grant.username);
    ctx.body = { access_token: accessToken, token_type: 'Bearer', expires_in: 3600 };
  });

  router.get('/userinfo', (ctx) => {
    const username = accessTokens.get(/^Bearer (\S+)$/.exec(ctx.get('authorization'))?.[1] ?? '');
    if (!username) {
      ctx.status = 401;
      ctx.set('WWW-Authenticate', 'Bearer error="invalid_token"');
      ctx.body = { error: 'invalid_token' };
      return;
    }
    ctx.body = { username };
  });
  return router;
}
