import { hash } from 'node:crypto';
import type { Clock, SessionRecord, SessionRepository } from '@authlab/store';
import type { Context } from 'koa';

export interface SessionTimeouts {
  idleTtlMs: number;
  absoluteTtlMs: number;
}

/** A signed-in session, as koa-session holds it for a request (the sign-in route makes one). */
export interface SessionData {
  userId: string;
  /** The public id of the session in session lists (never the cookie value). */
  handle: string;
  createdAt: number;
  lastSeenAt: number;
  userAgent: string;
  ip: string;
}

/** Stored under a hash of the cookie value: a copy of the database holds no usable cookie. */
export const sessionStorageKey = (cookieValue: string) => hash('sha256', cookieValue, 'base64url');

export const sessionExpiry = (createdAt: number, lastSeenAt: number, t: SessionTimeouts) =>
  Math.min(createdAt + t.absoluteTtlMs, lastSeenAt + t.idleTtlMs);

/**
 * koa-session's external store (its `store` option: `get`, `set`, `destroy` by the cookie's
 * id) over our session repository, on SQLite or Redis alike.
 *
 * - Ids are stored hashed (`sessionStorageKey`).
 * - Expiry is ours, with the injected clock, because the cookie is a browser-session cookie
 *   (`maxAge: 'session'`) and koa-session would check its own `_expire` against `Date.now()`:
 *   an idle timeout kept alive by a last-seen update at most once per touch interval (never a
 *   write per request) and an absolute cap that activity never extends (OWASP Session
 *   Management Cheat Sheet, "Session Expiration").
 * - The account is read in the same store call as the session (one Redis round trip) and left
 *   on `ctx.state.sessionAccount`, so a disabled account is refused on its very next request.
 */
export function koaSessionStore(sessions: SessionRepository, clock: Clock, timeouts: SessionTimeouts) {
  const touchIntervalMs = Math.min(60_000, Math.floor(timeouts.idleTtlMs / 10));
  return {
    async get(id: string, _maxAge: unknown, { ctx }: { ctx?: Context }): Promise<SessionData | null> {
      const key = sessionStorageKey(id);
      const found = await sessions.getWithUser(key);
      if (!found) return null;
      const { record, user } = found;
      const now = clock();
      if (now >= sessionExpiry(record.createdAt, record.lastSeenAt, timeouts) || now >= record.expiresAt) {
        await sessions.delete(key);
        return null;
      }
      let lastSeenAt = record.lastSeenAt;
      if (now - lastSeenAt >= touchIntervalMs) {
        lastSeenAt = now;
        await sessions.touch(key, now, sessionExpiry(record.createdAt, now, timeouts));
      }
      // koa-session always passes the request's context; the account travels on it.
      if (ctx) ctx.state.sessionAccount = user;
      return {
        userId: record.userId,
        handle: record.handle,
        createdAt: record.createdAt,
        lastSeenAt,
        userAgent: record.userAgent,
        ip: record.ip,
      };
    },

    async set(id: string, session: SessionData): Promise<void> {
      const record: SessionRecord = {
        handle: session.handle,
        userId: session.userId,
        createdAt: session.createdAt,
        lastSeenAt: session.lastSeenAt,
        expiresAt: sessionExpiry(session.createdAt, session.lastSeenAt, timeouts),
        userAgent: session.userAgent,
        ip: session.ip,
      };
      await sessions.save(sessionStorageKey(id), record);
    },

    async destroy(id: string): Promise<void> {
      await sessions.delete(sessionStorageKey(id));
    },
  };
}
