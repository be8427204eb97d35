import { randomBytes } from 'node:crypto';
import { CookieSigner } from '@authlab/auth-core';
import type { User } from '@authlab/store';
import type Koa from 'koa';
import type { Context, Next } from 'koa';
import createSession from 'koa-session';
import type { AppDeps } from '../../deps.ts';
import { koaSessionStore, type SessionData } from './session-store.ts';

/** `__Host-` where the cookie is Secure: no Domain, Path=/, cannot be set by a sibling subdomain. */
export const sessionCookieName = (secure: boolean) => (secure ? '__Host-authlab.sid' : 'authlab.sid');

/**
 * Session ids: 256 bits from the CSPRNG each (OWASP asks for at least 64 bits of entropy).
 * koa-session draws an id for every request that arrives without a cookie (each Bearer call, each
 * asset), before it knows whether a session will be stored, so the bytes are drawn `perDraw` ids
 * at a time, the way `crypto.randomUUID` pools its entropy; each slice of the pool is used once.
 */
export function sessionIdGenerator(perDraw = 128): () => string {
  const bytes = 32;
  let pool = Buffer.alloc(0);
  let offset = 0;
  return () => {
    if (offset + bytes > pool.length) {
      pool = randomBytes(bytes * perDraw);
      offset = 0;
    }
    const id = pool.toString('base64url', offset, offset + bytes);
    offset += bytes;
    return id;
  };
}

/**
 * koa-session with our external store. The cookie lives until the browser closes; the server
 * decides validity (idle and absolute timeouts) on every request.
 */
export function sessionMiddleware(app: Koa, deps: AppDeps) {
  const { config, store, clock } = deps;
  // Keygrip's output with the keys imported once (Keygrip re-imports them on every request).
  app.keys = new CookieSigner(deps.secrets.sessionKeys);
  return createSession(
    {
      key: sessionCookieName(config.secureCookies),
      maxAge: 'session',
      httpOnly: true,
      sameSite: 'lax',
      secure: config.secureCookies,
      signed: true,
      overwrite: true,
      rolling: false,
      renew: false,
      genid: sessionIdGenerator(),
      store: koaSessionStore(store.sessions, clock, config.session),
    },
    app,
  );
}

/**
 * Behind a TLS-terminating proxy, or on a loopback origin (which browsers treat as secure),
 * Koa must be told the connection counts as secure, or the cookie library refuses to set a
 * Secure cookie over what it sees as plain HTTP.
 */
export function markSecureConnection(secure: boolean) {
  return async function secureCookies(ctx: Context, next: Next): Promise<void> {
    if (secure) ctx.cookies.secure = true;
    await next();
  };
}

export function currentSession(ctx: Context): SessionData | null {
  const session = ctx.session as unknown as Partial<SessionData> | null;
  return session && typeof session.userId === 'string' ? (session as SessionData) : null;
}

/** The signed-in user of the session cookie, or null; a disabled account ends its session. */
export async function sessionUser(ctx: Context, deps: AppDeps): Promise<{ user: User; session: SessionData } | null> {
  const session = currentSession(ctx);
  if (!session) return null;
  const user = await deps.store.users.findById(session.userId);
  if (!user || user.disabled) {
    ctx.session = null;
    return null;
  }
  return { user, session };
}

/** Starts a fresh session for `user`: a new id every time, so a planted or old id is never adopted. */
export async function beginSession(ctx: Context, deps: AppDeps, user: User): Promise<void> {
  const now = deps.clock();
  const data: SessionData = {
    userId: user.id,
    handle: randomBytes(16).toString('base64url'),
    createdAt: now,
    lastSeenAt: now,
    userAgent: ctx.get('User-Agent').slice(0, 256),
    ip: ctx.ip,
  };
  const session = ctx.session;
  if (!session) throw new Error('session middleware is not mounted');
  for (const key of Object.keys(session.toJSON())) delete (session as unknown as Record<string, unknown>)[key];
  Object.assign(session, data);
  // Removes the old record and cookie value, then saves under a new id (OWASP: renew on login).
  await session.regenerate();
}
