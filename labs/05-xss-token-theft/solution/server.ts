/**
 * A members' board with JWT access tokens. The page (below) and its script (app.js) sign in with
 * POST /api/login, keep the access token, and call the API with `Authorization: Bearer <token>`.
 *
 *   GET  /              the page         GET /app.js   its script
 *   POST /api/login     {username, password}  200 {token_type, access_token, expires_in} | 401
 *   GET  /api/me        Bearer  200 {username} | 401
 *   GET  /api/comments  Bearer  200 {comments: [{author, text}]} | 401
 *   POST /api/comments  Bearer  {text}  201 {author, text} | 400 | 401
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AccessTokens, KeyRing, newKeyRingFile, PasswordHasher, writeKeyRingFile } from '@authlab/auth-core';
import { labServer } from '@authlab/lab-kit/server';
import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import Koa from 'koa';

const PAGE = `<!doctype html>
<html lang="en"><meta charset="utf-8"><title>Members' board</title>
<h1>Members' board</h1>
<form id="signin">
  <label>Username <input name="username"></label> <label>Password <input name="password" type="password"></label>
  <button>Sign in</button> <output id="error"></output>
</form>
<section id="board" hidden>
  <p>Signed in as <output id="me"></output></p>
  <ul id="comments"></ul>
  <form id="comment"><label>Comment <input name="text"></label> <button>Post</button></form>
</section>
<script type="module" src="/app.js"></script>
</html>`;
const SCRIPT = readFileSync(join(import.meta.dirname, 'app.js'), 'utf8');

export default labServer(async (lab) => {
  const hasher = await PasswordHasher.create();
  const passwords = new Map([
    ['alice', await hasher.hash('wonderland-42')],
    ['mallory', await hasher.hash('mallory-was-here')],
  ]);
  const comments = [{ author: 'bob', text: 'Welcome to the board! Be nice.' }];
  // EdDSA access tokens, as in the authlab server's JWT mode (no refresh tokens in this lab).
  const keyFile = join(lab.dataDir, 'jwt-keys.json');
  writeKeyRingFile(keyFile, newKeyRingFile(lab.clock()));
  const ring = KeyRing.open({ file: keyFile, clock: lab.clock, retireAfterMs: 20 * 60_000 });
  const tokens = new AccessTokens(ring, { issuer: lab.url, audience: `${lab.url}/api`, ttlSec: 900 }, lab.clock);

  const app = new Koa();
  // FIX: a strict Content-Security-Policy: scripts only from our own files (no inline script, no
  // event-handler attributes), fetch/XHR/beacons only to ourselves, no plugins, no <base> (ASVS
  // 5.0 V3.4.3; OWASP Content Security Policy Cheat Sheet). base-uri, form-action and
  // frame-ancestors do not fall back to default-src, so they are spelled out.
  app.use(async (ctx, next) => {
    ctx.set(
      'Content-Security-Policy',
      "default-src 'self'; script-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    );
    await next();
  });
  app.use(bodyParser());

  const router = new Router();
  router.get('/', (ctx) => {
    ctx.type = 'html';
    ctx.body = PAGE;
  });
  router.get('/app.js', (ctx) => {
    ctx.type = 'text/javascript';
    ctx.body = SCRIPT;
  });

  router.post('/api/login', async (ctx) => {
    const body = ctx.request.body as Record<string, unknown>;
    const username = String(body.username);
    const hash = passwords.get(username);
    if (!hash || !(await hasher.verify(hash, String(body.password))).ok) ctx.throw(401, 'invalid_credentials');
    const { token } = await tokens.issue({ sub: username, role: 'user', sid: 'board' });
    ctx.body = { token_type: 'Bearer', access_token: token, expires_in: tokens.ttlSec };
  });

  /** The user the request's Bearer token names; 401 otherwise. */
  async function bearerUser(ctx: Koa.Context): Promise<string> {
    const [scheme, token] = ctx.get('Authorization').split(' ');
    const claims = scheme === 'Bearer' && token ? await tokens.verify(token).catch(() => null) : null;
    return claims?.sub ?? ctx.throw(401, 'invalid_token', { headers: { 'WWW-Authenticate': 'Bearer' } });
  }

  router.get('/api/me', async (ctx) => {
    ctx.body = { username: await bearerUser(ctx) };
  });
  router.get('/api/comments', async (ctx) => {
    await bearerUser(ctx);
    ctx.body = { comments };
  });
  router.post('/api/comments', async (ctx) => {
    const author = await bearerUser(ctx);
    const { text } = ctx.request.body as { text?: unknown };
    if (typeof text !== 'string' || text.trim() === '' || text.length > 2000) return ctx.throw(400, 'invalid_comment');
    comments.push({ author, text });
    ctx.status = 201;
    ctx.body = { author, text };
  });

  app.use(router.routes());
  return app;
});
