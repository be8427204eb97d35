import { randomBytes } from 'node:crypto';
import type { User } from '@authlab/store';
import type Koa from 'koa';
import type { Context, Next } from 'koa';
import createSession from 'koa-session';
import type { AppDeps } from '../../deps.ts';
import { koaSessionStore, type SessionData } from './session-store.ts';

/** `__Host-` where the cookie is Secure: no Domain, Path=/, cannot be set by a sibling subdomain. */
export const sessionCookieName = (secure: boolean) => (secure ? '__Host-authlab.sid' : 'authlab.sid');

/**
 * Session ids (koa-session's `genid`): 256 bits from the CSPRNG each (OWASP asks for at least 64
 * bits of entropy; koa-session's default, a UUID, has 122), drawn `perDraw` ids at a time, the
 * way `crypto.randomUUID` pools its entropy; each slice of the pool is used once.
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
 * The server-session layer: koa-session with an external store. The cookie holds an opaque
 * 256-bit id, signed with `app.keys`; everything else lives on the server under the id's hash.
 * The cookie lives until the browser closes; the server decides validity (idle and absolute
 * timeouts, in the store) on every request.
 *
 * It is not mounted for the whole app: the routes that read the session run behind it (the
 * session routes, the pages, and the API for a request without a Bearer token), so an asset or
 * a Bearer call never costs a store read. Behind it, `ctx.state.signedIn` holds the session and
 * its enabled account, from one store read; a deleted or disabled account ends its session.
 *
 * @example
 * const withSession = sessionLayer(app, deps);
 * router.get('/session/me', withSession, (ctx) => { ctx.body = ctx.state.signedIn?.user });
 */
export function sessionLayer(app: Koa, deps: AppDeps): Koa.Middleware {
  const { config, store, clock } = deps;
  const loadSession = createSession(
    {
      key: sessionCookieName(config.secureCookies),
      // A browser-session cookie; the server's idle and absolute timeouts end the session itself.
      maxAge: 'session',
      httpOnly: true,
      // Where the origin is https or loopback (markSecureConnection tells Koa the connection is).
      secure: config.secureCookies,
      // With the origin check, the CSRF defence (OWASP CSRF Cheat Sheet, "SameSite Cookie Attribute").
      sameSite: 'lax',
      signed: true,
      overwrite: true,
      // The session changes only at sign-in and sign-out: never rewritten to extend it, and not
      // serialised and hashed after every request to find out whether it changed. Sign-in commits
      // through regenerate(), sign-out below.
      rolling: false,
      renew: false,
      autoCommit: false,
      store: koaSessionStore(store.sessions, clock, config.session),
      genid: sessionIdGenerator(),
    },
    app,
  );

  return function withSession(ctx: Context, next: Next): Promise<void> {
    if (ctx.state.sessionLoaded) return next();
    ctx.state.sessionLoaded = true;
    return loadSession(ctx, async () => {
      const loaded = ctx.session;
      if (loaded && !loaded.isNew) {
        const account = ctx.state.sessionAccount;
        if (account && !account.disabled && account.id === loaded.userId) {
          ctx.state.signedIn = { user: account, session: loaded as SessionData };
        } else {
          ctx.session = null;
        }
      }
      try {
        await next();
      } finally {
        // Ended (`ctx.session = null`): koa-session deletes the record and clears the cookie.
        if (ctx.session === null) await loaded?.manuallyCommit();
      }
    });
  };
}

/**
 * Signs `user` in with a fresh session: koa-session's `regenerate()` deletes the record of the id
 * the browser presented, if any, and stores the session under a new id, so a planted or old id
 * is never adopted (session fixation; OWASP's "renew the session id on login"). Behind
 * `sessionLayer` only.
 */
export async function beginSession(ctx: Context, deps: AppDeps, user: User): Promise<void> {
  const now = deps.clock();
  const session: SessionData = {
    userId: user.id,
    handle: randomBytes(16).toString('base64url'),
    createdAt: now,
    lastSeenAt: now,
    userAgent: ctx.get('User-Agent').slice(0, 256),
    ip: ctx.ip,
  };
  ctx.session = session;
  await ctx.session?.regenerate();
  ctx.state.signedIn = { user, session };
}
