/**
 * A JWT sign-in service: short-lived access tokens, and refresh tokens to get new ones without
 * asking for the password again. All state is in memory.
 *
 *   POST /login         {username, password}  200 {access_token, expires_in, refresh_token} | 401 invalid_credentials
 *   POST /token/refresh {refresh_token}       200 {access_token, expires_in, refresh_token} | 401 invalid_grant
 *   GET  /api/me        Bearer access token   200 {sub} | 401 invalid_token
 */
import { randomBytes } from 'node:crypto';
import { labServer } from '@authlab/lab-kit/server';
import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import { jwtVerify, SignJWT } from 'jose';
import Koa, { type Context } from 'koa';

const USERS = ['alice', 'bob'];
const DEMO_PASSWORD = 'correct-horse-battery-staple'; // password storage is lab 01's topic
const ACCESS_TOKEN_TTL_SEC = 10 * 60;
const REFRESH_LIFETIME_MS = 30 * 24 * 3600 * 1000; // from sign-in: refreshing does not extend it

interface RefreshToken {
  username: string;
  expiresAt: number;
}

function fail(ctx: Context, status: number, error: string, error_description?: string): void {
  ctx.status = status;
  ctx.body = { error, error_description };
}

export default labServer((lab) => {
  const accessTokenKey = randomBytes(32);
  // WEAKNESS: the refresh tokens themselves are the keys of this map (a copy of the store is a
  // set of working tokens), and nothing records whether a token has been used already.
  const refreshTokens = new Map<string, RefreshToken>();

  async function issueTokens(username: string, refreshExpiresAt: number) {
    const refresh_token = randomBytes(32).toString('base64url');
    refreshTokens.set(refresh_token, { username, expiresAt: refreshExpiresAt });
    const now = Math.floor(lab.clock() / 1000);
    const access_token = await new SignJWT({ sub: username })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuedAt(now)
      .setExpirationTime(now + ACCESS_TOKEN_TTL_SEC)
      .sign(accessTokenKey);
    return { token_type: 'Bearer', access_token, expires_in: ACCESS_TOKEN_TTL_SEC, refresh_token };
  }

  const router = new Router();
  router.post('/login', async (ctx) => {
    const { username, password } = (ctx.request.body ?? {}) as Record<string, unknown>;
    if (typeof username !== 'string' || !USERS.includes(username) || password !== DEMO_PASSWORD) {
      return fail(ctx, 401, 'invalid_credentials');
    }
    ctx.body = await issueTokens(username, lab.clock() + REFRESH_LIFETIME_MS);
  });

  router.post('/token/refresh', async (ctx) => {
    const { refresh_token } = (ctx.request.body ?? {}) as Record<string, unknown>;
    const stored = typeof refresh_token === 'string' ? refreshTokens.get(refresh_token) : undefined;
    if (!stored || stored.expiresAt <= lab.clock()) {
      return fail(ctx, 401, 'invalid_grant', 'the refresh token is invalid or expired');
    }
    // WEAKNESS: a new refresh token is handed out, but the one just presented stays valid. Whoever
    // holds a copy of it can keep minting access tokens, and nobody notices.
    ctx.body = await issueTokens(stored.username, stored.expiresAt);
  });

  router.get('/api/me', async (ctx) => {
    const token = ctx.get('Authorization').match(/^Bearer (.+)$/)?.[1] ?? '';
    try {
      const options = { algorithms: ['HS256'], currentDate: new Date(lab.clock()) };
      const { payload } = await jwtVerify(token, accessTokenKey, options);
      ctx.body = { sub: payload.sub };
    } catch {
      ctx.set('WWW-Authenticate', 'Bearer');
      fail(ctx, 401, 'invalid_token');
    }
  });

  const app = new Koa();
  app.use(bodyParser());
  app.use(router.routes());
  return app;
});
