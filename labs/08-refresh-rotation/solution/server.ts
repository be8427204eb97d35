/**
 * A JWT sign-in service: short-lived access tokens, and refresh tokens to get new ones without
 * asking for the password again. All state is in memory.
 *
 *   POST /login         {username, password}  200 {access_token, expires_in, refresh_token} | 401 invalid_credentials
 *   POST /token/refresh {refresh_token}       200 {access_token, expires_in, refresh_token} | 401 invalid_grant
 *   GET  /api/me        Bearer access token   200 {sub} | 401 invalid_token
 */
import { createHash, randomBytes } from 'node:crypto';
import { labServer } from '@authlab/lab-kit/server';
import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import { jwtVerify, SignJWT } from 'jose';
import Koa, { type Context } from 'koa';

const USERS = ['alice', 'bob'];
const DEMO_PASSWORD = 'correct-horse-battery-staple'; // password storage is lab 01's topic
const ACCESS_TOKEN_TTL_SEC = 10 * 60;
const REFRESH_LIFETIME_MS = 30 * 24 * 3600 * 1000; // from sign-in: refreshing does not extend it

/** One sign-in on one device: every refresh token that descends from it belongs to it. */
interface Family {
  username: string;
  expiresAt: number;
  revoked: boolean;
}

interface RefreshToken {
  family: Family;
  used: boolean;
}

// FIX: only a SHA-256 of each refresh token is stored, so a copy of the store holds no usable
// token (RFC 6819 §5.1.4.1.3). 256 random bits need no salt or slow hash.
const hash = (token: string) => createHash('sha256').update(token).digest('base64url');

function fail(ctx: Context, status: number, error: string, error_description?: string): void {
  ctx.status = status;
  ctx.body = { error, error_description };
}

export default labServer((lab) => {
  const accessTokenKey = randomBytes(32);
  const refreshTokens = new Map<string, RefreshToken>(); // hash(refresh token) → its record

  async function issueTokens(family: Family) {
    const refresh_token = randomBytes(32).toString('base64url');
    refreshTokens.set(hash(refresh_token), { family, used: false });
    const now = Math.floor(lab.clock() / 1000);
    const access_token = await new SignJWT({ sub: family.username })
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
    ctx.body = await issueTokens({ username, expiresAt: lab.clock() + REFRESH_LIFETIME_MS, revoked: false });
  });

  router.post('/token/refresh', async (ctx) => {
    const { refresh_token } = (ctx.request.body ?? {}) as Record<string, unknown>;
    const stored = typeof refresh_token === 'string' ? refreshTokens.get(hash(refresh_token)) : undefined;
    if (!stored || stored.family.revoked || stored.family.expiresAt <= lab.clock()) {
      return fail(ctx, 401, 'invalid_grant', 'the refresh token is invalid or expired');
    }
    // FIX: reuse detection (RFC 9700 §4.14.2, ASVS 5.0 V10.4.5). A spent token coming back means
    // two parties hold this family, and the server cannot tell which one is the thief: revoke
    // the whole family, so both must sign in again and the attacker's copy is worthless.
    if (stored.used) {
      stored.family.revoked = true;
      return fail(ctx, 401, 'invalid_grant', 'this refresh token was already used: its family is revoked');
    }
    // FIX: rotation. The presented token is spent now; the new one joins the same family and
    // keeps its absolute lifetime.
    stored.used = true;
    ctx.body = await issueTokens(stored.family);
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
