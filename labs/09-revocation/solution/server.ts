/**
 * A JSON API with stateless JWT access tokens (EdDSA, 15 minutes) and refresh tokens.
 *
 *   POST /login      {username, password}  200 {token_type, access_token, expires_in, refresh_token} | 401
 *   POST /refresh    {refresh_token}       200 {token_type, access_token, expires_in} | 401
 *   GET  /api/me     Bearer                200 {username} | 401
 *   POST /logout-all Bearer                204: "log out everywhere", every device of this user
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { PasswordHasher } from '@authlab/auth-core';
import { labServer } from '@authlab/lab-kit/server';
import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import { generateKeyPair, jwtVerify, SignJWT } from 'jose';
import Koa, { type Context } from 'koa';

const TTL_SEC = 15 * 60;

export default labServer(async (lab) => {
  const hasher = await PasswordHasher.create();
  const users = new Map([
    ['alice', await hasher.hash('alice-in-wonderland')],
    ['bob', await hasher.hash('bob-the-builder-42')],
  ]);
  const { privateKey, publicKey } = await generateKeyPair('EdDSA');
  const refreshTokens = new Map<string, string>(); // refresh token → username (lab 08: rotation)
  // FIX: one small record per user: when did they last log out everywhere (ms, lab clock)?
  // ASVS 5.0 V7.4.1: self-contained tokens need a solution "such as … disallowing tokens produced
  // before a per-user date and time" (or a deny-list of token IDs, OWASP JWT Cheat Sheet).
  const revokedBefore = new Map<string, number>();
  const issuer = lab.url;
  const audience = `${lab.url}/api`;

  const accessToken = (username: string) => {
    const now = Math.floor(lab.clock() / 1000);
    return new SignJWT({})
      .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt' })
      .setIssuer(issuer)
      .setAudience(audience)
      .setSubject(username)
      .setJti(randomUUID())
      .setIssuedAt(now)
      .setExpirationTime(now + TTL_SEC)
      .sign(privateKey);
  };

  /** The username the request's Bearer token names; null after answering 401. */
  const authenticate = async (ctx: Context): Promise<string | null> => {
    const token = /^Bearer (\S+)$/.exec(ctx.get('authorization'))?.[1] ?? '';
    try {
      const { payload } = await jwtVerify(token, publicKey, {
        algorithms: ['EdDSA'],
        typ: 'at+jwt',
        issuer,
        audience,
        requiredClaims: ['sub', 'iat', 'exp'],
        currentDate: new Date(lab.clock()),
      });
      // FIX: every request asks the server's own record too (a store lookup per request: the
      // price of revocation). `iat` has whole seconds, so `<=` also refuses a token issued in the
      // same second just after the logout: fail closed, the client signs in again a second later.
      // (packages/auth-core's TokenService uses `<` and revokes each device's family as well.)
      const sub = payload.sub as string;
      if ((payload.iat as number) * 1000 <= (revokedBefore.get(sub) ?? Number.NEGATIVE_INFINITY)) {
        throw new Error('issued before the last logout-all');
      }
      return sub;
    } catch {
      ctx.status = 401;
      ctx.set('WWW-Authenticate', 'Bearer error="invalid_token"');
      ctx.body = { error: 'invalid_token' };
      return null;
    }
  };

  const router = new Router();
  router.post('/login', async (ctx) => {
    const { username, password } = (ctx.request.body ?? {}) as Record<string, unknown>;
    const hash = typeof username === 'string' ? users.get(username) : undefined;
    if (!hash || typeof password !== 'string' || !(await hasher.verify(hash, password)).ok) {
      ctx.status = 401;
      ctx.body = { error: 'invalid_credentials' };
      return;
    }
    const refreshToken = randomBytes(32).toString('base64url');
    refreshTokens.set(refreshToken, username as string);
    const access = await accessToken(username as string);
    ctx.body = { token_type: 'Bearer', access_token: access, expires_in: TTL_SEC, refresh_token: refreshToken };
  });

  router.post('/refresh', async (ctx) => {
    const { refresh_token } = (ctx.request.body ?? {}) as Record<string, unknown>;
    const username = typeof refresh_token === 'string' ? refreshTokens.get(refresh_token) : undefined;
    if (!username) {
      ctx.status = 401;
      ctx.body = { error: 'invalid_grant' };
      return;
    }
    ctx.body = { token_type: 'Bearer', access_token: await accessToken(username), expires_in: TTL_SEC };
  });

  router.get('/api/me', async (ctx) => {
    const username = await authenticate(ctx);
    if (username) ctx.body = { username };
  });

  router.post('/logout-all', async (ctx) => {
    const username = await authenticate(ctx);
    if (!username) return;
    for (const [token, owner] of refreshTokens) if (owner === username) refreshTokens.delete(token);
    // FIX: and every access token issued until now is dead at once, on every device.
    revokedBefore.set(username, lab.clock());
    ctx.status = 204;
  });

  return new Koa().use(bodyParser()).use(router.routes()).use(router.allowedMethods());
});
