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
      // WEAKNESS: a good signature and a future `exp` are all it takes. The server never asks
      // its own records, so nothing it does later, logout-all included, can reach a token it
      // has already handed out: a stolen one keeps working until it expires.
      return payload.sub as string;
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
    // WEAKNESS: "everywhere" reaches only the refresh tokens, so no device can get a new access
    // token. The access tokens already out there are recorded nowhere and stay valid.
    for (const [token, owner] of refreshTokens) if (owner === username) refreshTokens.delete(token);
    ctx.status = 204;
  });

  return new Koa().use(bodyParser()).use(router.routes()).use(router.allowedMethods());
});
