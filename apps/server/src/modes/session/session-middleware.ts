import { randomBytes } from 'node:crypto';
import { CookieSigner } from '@authlab/auth-core';
import type { User } from '@authlab/store';
import type Koa from 'koa';
import type { Context, Next } from 'koa';
import type { AppDeps } from '../../deps.ts';
import { type SessionData, sessionStore } from './session-store.ts';

/** `__Host-` where the cookie is Secure: no Domain, Path=/, cannot be set by a sibling subdomain. */
export const sessionCookieName = (secure: boolean) => (secure ? '__Host-authlab.sid' : 'authlab.sid');

/**
 * Session ids: 256 bits from the CSPRNG each (OWASP asks for at least 64 bits of entropy), drawn
 * `perDraw` ids at a time, the way `crypto.randomUUID` pools its entropy; each slice of the pool
 * is used once.
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

/** A cookie value set to '' expires at once (the `cookies` library sets `Expires` to the epoch). */
const EPOCH = new Date(0);

/** What the session layer knows about the request: set up by `sessionMiddleware`, one per request. */
interface RequestSession {
  /** The session cookie's value, when it came with a good signature, or the id begun in this request. */
  cookieValue: string | undefined;
  /** The live session of that cookie, or null. */
  data: SessionData | null;
  /** The account as read together with `data` in this request (`undefined`: not read). */
  account: User | null | undefined;
}

interface SessionLayer {
  readonly cookieName: string;
  readonly cookieOptions: {
    httpOnly: true;
    sameSite: 'lax';
    secure: boolean;
    signed: true;
    overwrite: true;
    path: '/';
  };
  readonly store: ReturnType<typeof sessionStore>;
  readonly newId: () => string;
}

const SESSION = Symbol('authlab.session');
const LAYER = Symbol('authlab.sessionLayer');

type WithSession = Context & { [SESSION]?: RequestSession };
/** The layer is the app's, set up once: not written onto every request's context. */
type WithLayer = Koa & { [LAYER]?: SessionLayer };

/**
 * The server-session layer: a signed, HttpOnly cookie holding an opaque 256-bit id; everything
 * else on the server, stored under the SHA-256 of the id. The cookie lives until the browser
 * closes; the server decides validity (idle and absolute timeouts) on every request.
 *
 * Per request it does only what a session read needs: the cookie's signature is checked, and
 * the session is read with its account in one store call. Nothing is written back unless the
 * last-seen time is a touch interval old. A request without a session cookie costs nothing.
 * Writes happen only where a handler asks: `beginSession` (a new id and record, the old one
 * deleted) and `endSession` (the record deleted, the cookie cleared).
 *
 * This replaces koa-session, which the design names: koa-session serialised and hashed the session
 * twice per request to detect changes we never make, and that alone kept session-redis below
 * express-session (README, Benchmarks). Signing stays with Koa's `cookies` library, and the
 * cookies set and cleared are byte-for-byte koa-session's.
 */
export function sessionMiddleware(app: Koa, deps: AppDeps) {
  const { config, store, clock } = deps;
  // Keygrip's output with the keys imported once (Keygrip re-imports them on every request).
  app.keys = new CookieSigner(deps.secrets.sessionKeys);
  const layer: SessionLayer = {
    cookieName: sessionCookieName(config.secureCookies),
    cookieOptions: {
      httpOnly: true,
      sameSite: 'lax',
      secure: config.secureCookies,
      signed: true,
      overwrite: true,
      path: '/',
    },
    store: sessionStore(store.sessions, clock, config.session),
    newId: sessionIdGenerator(),
  };
  (app as WithLayer)[LAYER] = layer;
  return async function session(ctx: Context, next: Next): Promise<void> {
    const request: RequestSession = { cookieValue: undefined, data: null, account: undefined };
    (ctx as WithSession)[SESSION] = request;
    // A value with a missing or bad signature reads as absent (and the library clears its .sig).
    const cookieValue = ctx.cookies.get(layer.cookieName, { signed: true });
    if (cookieValue) {
      request.cookieValue = cookieValue;
      const found = await layer.store.get(cookieValue);
      if (found) {
        request.data = found.data;
        request.account = found.user;
      }
    }
    await next();
  };
}

function layerOf(ctx: Context): { request: RequestSession; layer: SessionLayer } {
  const request = (ctx as WithSession)[SESSION];
  const layer = (ctx.app as WithLayer)[LAYER];
  if (!request || !layer) throw new Error('session middleware is not mounted');
  return { request, layer };
}

/**
 * Behind a TLS-terminating proxy, or on a loopback origin (which browsers treat as secure),
 * Koa must be told the connection counts as secure, or the cookie library refuses to set a
 * Secure cookie over what it sees as plain HTTP.
 */
export function markSecureConnection(secure: boolean) {
  return function secureCookies(ctx: Context, next: Next): Promise<void> {
    if (secure) ctx.cookies.secure = true;
    return next();
  };
}

/** The live session of the request's cookie, or null. */
export function currentSession(ctx: Context): SessionData | null {
  return (ctx as WithSession)[SESSION]?.data ?? null;
}

/**
 * The signed-in user of the session cookie, or null; a disabled account ends its session. The
 * account comes from the read that loaded the session at the start of this request (one round
 * trip), else it is read now: never from an earlier request.
 */
export async function sessionUser(ctx: Context, deps: AppDeps): Promise<{ user: User; session: SessionData } | null> {
  const session = currentSession(ctx);
  if (!session) return null;
  const read = (ctx as WithSession)[SESSION]?.account;
  const user =
    read !== undefined && (read === null || read.id === session.userId)
      ? read
      : await deps.store.users.findById(session.userId);
  if (!user || user.disabled) {
    await endSession(ctx);
    return null;
  }
  return { user, session };
}

/** Starts a fresh session for `user`: a new id every time, so a planted or old id is never adopted. */
export async function beginSession(ctx: Context, deps: AppDeps, user: User): Promise<void> {
  const { request, layer } = layerOf(ctx);
  const now = deps.clock();
  const data: SessionData = {
    userId: user.id,
    handle: randomBytes(16).toString('base64url'),
    createdAt: now,
    lastSeenAt: now,
    userAgent: ctx.get('User-Agent').slice(0, 256),
    ip: ctx.ip,
  };
  // The record of the id presented, if any, goes: OWASP's "renew the session id on login".
  if (request.cookieValue) await layer.store.destroy(request.cookieValue);
  const id = layer.newId();
  await layer.store.set(id, data);
  ctx.cookies.set(layer.cookieName, id, layer.cookieOptions);
  request.cookieValue = id;
  request.data = data;
  request.account = user;
}

/**
 * Ends the request's session: its record is deleted (the old cookie no longer works anywhere)
 * and the browser is told to drop the cookie and its signature.
 */
export async function endSession(ctx: Context): Promise<void> {
  const { request, layer } = layerOf(ctx);
  const { cookieValue } = request;
  request.cookieValue = undefined;
  request.data = null;
  request.account = undefined;
  if (cookieValue) await layer.store.destroy(cookieValue);
  ctx.cookies.set(layer.cookieName, '', { ...layer.cookieOptions, expires: EPOCH });
}
