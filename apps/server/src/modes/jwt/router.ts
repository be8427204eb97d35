import { AuthError, endEverything, invalidGrant, JWKS_MAX_AGE_SEC, type TokenPair } from '@authlab/auth-core';
import type Router from '@koa/router';
import type { Context, Next } from 'koa';
import { z } from 'zod';
import { type BearerVerifier, bearerToken, noCredentials } from '../../api/principal.ts';
import type { AppDeps } from '../../deps.ts';
import { readBody } from '../../http/body.ts';
import { HttpError, notFound } from '../../http/errors.ts';
import { createRouter } from '../../http/router.ts';
import { describeUserAgent } from '../../web/user-agent.ts';
import { loginBody } from '../session/router.ts';

const jwtLoginBody = loginBody
  .extend({
    device_name: z.string().trim().min(1).max(100).optional(),
    /** `cookie`: the browser variant — the refresh token goes into an HttpOnly cookie, not the body. */
    refresh_token_delivery: z.enum(['body', 'cookie']).optional(),
  })
  .strict();

// No length cap here: a refresh token of any other shape is the same `invalid_grant` (RFC 6749
// §5.2), refused by the token service without a store lookup; the body limit bounds the size.
const refreshBody = z.object({ refresh_token: z.string().min(1).optional() }).strict();

/** Path=/jwt: the browser sends it only to this mode's own endpoints, never to the API. */
export const refreshCookieName = (secure: boolean) => (secure ? '__Secure-authlab.rt' : 'authlab.rt');

/** RFC 6749 §5.1: token responses must not be cached. */
function noStore(ctx: Context) {
  ctx.set('Cache-Control', 'no-store');
  ctx.set('Pragma', 'no-cache');
}

/** The API's view of this mode: a JWT of ours that is still wanted, or null so another mode may try. */
export function jwtBearerVerifier(deps: AppDeps): BearerVerifier {
  return async (token) => {
    // Signed with a key of another ring (an OIDC access token): not ours, and no failed
    // verification (an error with a stack trace) to pay for on every such request.
    if (!deps.tokens.namesOwnKey(token)) return null;
    try {
      const { user } = await deps.tokens.authenticate(token);
      return { user, mode: 'jwt' };
    } catch (error) {
      if (error instanceof AuthError) return null;
      throw error; // the store is down: 503, never a free pass
    }
  };
}

/**
 * The JWT mode: short-lived EdDSA access tokens and rotating refresh tokens, one family per
 * device. Routes per the HTTP interface in shared/DESIGN.md.
 */
export function jwtRouter(deps: AppDeps): Router {
  const router = createRouter();
  const { config } = deps;
  const cookieName = refreshCookieName(config.secureCookies);

  const setRefreshCookie = (ctx: Context, token: string | null) => {
    ctx.cookies.set(cookieName, token ?? '', {
      path: '/jwt',
      httpOnly: true,
      sameSite: 'strict',
      secure: config.secureCookies,
      signed: false,
      overwrite: true,
      ...(token ? { maxAge: config.jwt.refreshIdleTtlMs } : { expires: new Date(0) }),
    });
  };

  const respond = (ctx: Context, pair: TokenPair, delivery: 'body' | 'cookie') => {
    noStore(ctx);
    if (delivery === 'cookie') {
      setRefreshCookie(ctx, pair.refresh_token);
      const { refresh_token: _kept, ...rest } = pair;
      ctx.body = rest;
    } else {
      ctx.body = pair;
    }
  };

  /** Requires an access token of this mode, still valid and not revoked. */
  const requireJwt = async (ctx: Context, next: Next) => {
    const token = bearerToken(ctx);
    if (token === null) throw noCredentials('send an access token of the JWT mode');
    ctx.state.jwt = await deps.tokens.authenticate(token);
    await next();
  };

  router.get('/.well-known/jwks.json', (ctx) => {
    // Short enough that a rotated key set reaches verifiers before the "next" key signs anything.
    ctx.set('Cache-Control', `public, max-age=${JWKS_MAX_AGE_SEC}`);
    ctx.body = deps.keyRing.jwks();
  });

  router.post('/jwt/login', async (ctx) => {
    const body = readBody(ctx, jwtLoginBody);
    const user = await deps.authenticator.login(body.email, body.password, ctx.ip);
    const userAgent = ctx.get('User-Agent').slice(0, 256);
    const pair = await deps.tokens.login(user, {
      name: body.device_name ?? describeUserAgent(userAgent),
      userAgent,
      ip: ctx.ip,
    });
    respond(ctx, pair, body.refresh_token_delivery ?? 'body');
  });

  router.post('/jwt/refresh', async (ctx) => {
    const body = ctx.request.type ? readBody(ctx, refreshBody) : {};
    const fromCookie = body.refresh_token === undefined;
    const token = body.refresh_token ?? ctx.cookies.get(cookieName);
    if (!token) throw invalidGrant('send the refresh token');
    try {
      respond(ctx, await deps.tokens.refresh(token), fromCookie ? 'cookie' : 'body');
    } catch (error) {
      if (fromCookie && error instanceof AuthError) setRefreshCookie(ctx, null);
      throw error;
    }
  });

  router.post('/jwt/logout', async (ctx) => {
    const body = ctx.request.type ? readBody(ctx, refreshBody) : {};
    const token = body.refresh_token ?? ctx.cookies.get(cookieName);
    let revoked = false;
    if (token) revoked = (await deps.tokens.logout(token)) !== null;
    // With only an access token (even one that has expired since), end that token's own family.
    if (!revoked) {
      try {
        const bearer = bearerToken(ctx);
        if (bearer !== null) await deps.tokens.logoutWithAccessToken(bearer);
      } catch (error) {
        // Logout never fails for a bad or missing credential: there is nothing of it to end.
        if (!(error instanceof AuthError) && !(error instanceof HttpError)) throw error;
      }
    }
    if (ctx.cookies.get(cookieName)) setRefreshCookie(ctx, null);
    ctx.status = 204;
  });

  router.post('/jwt/logout-all', requireJwt, async (ctx) => {
    await endEverything(deps.store, ctx.state.jwt.user.id, { clock: deps.clock });
    setRefreshCookie(ctx, null);
    ctx.status = 204;
  });

  router.get('/jwt/devices', requireJwt, async (ctx) => {
    const { user, claims } = ctx.state.jwt;
    const families = await deps.tokens.devices(user.id);
    noStore(ctx);
    ctx.body = {
      devices: families.map((family) => ({
        id: family.id,
        name: family.name,
        current: family.id === claims.sid,
        createdAt: new Date(family.createdAt).toISOString(),
        lastSeenAt: new Date(family.lastUsedAt).toISOString(),
        userAgent: family.userAgent,
        ip: family.ip,
      })),
    };
  });

  router.delete('/jwt/devices/:id', requireJwt, async (ctx) => {
    const revoked = await deps.tokens.revokeFamily(ctx.state.jwt.user.id, String(ctx.params.id), 'device_revoked');
    if (!revoked) throw notFound();
    ctx.status = 204;
  });

  return router;
}
