import { createHash } from 'node:crypto';
import type { Clock, SessionRecord, SessionRepository } from '@authlab/store';

export interface SessionTimeouts {
  idleTtlMs: number;
  absoluteTtlMs: number;
}

/** What the login handler puts in `ctx.session`. */
export interface SessionData {
  userId: string;
  handle: string;
  createdAt: number;
  lastSeenAt: number;
  userAgent: string;
  ip: string;
}

/** Stored under a hash of the cookie value: a copy of the database holds no usable cookie. */
export const sessionStorageKey = (cookieValue: string) => createHash('sha256').update(cookieValue).digest('base64url');

export const sessionExpiry = (createdAt: number, lastSeenAt: number, t: SessionTimeouts) =>
  Math.min(createdAt + t.absoluteTtlMs, lastSeenAt + t.idleTtlMs);

const isSessionData = (value: Record<string, unknown>): boolean =>
  typeof value.userId === 'string' &&
  typeof value.handle === 'string' &&
  typeof value.createdAt === 'number' &&
  typeof value.lastSeenAt === 'number';

/**
 * koa-session's external store over the session repository. Expiry is ours, with the injected
 * clock: an idle timeout kept alive by a last-seen update at most once per `touchIntervalMs`
 * (not koa-session's `rolling`, which writes on every request) and an absolute cap that activity
 * never extends (OWASP Session Management Cheat Sheet, "Session Expiration").
 */
export function koaSessionStore(sessions: SessionRepository, clock: Clock, timeouts: SessionTimeouts) {
  const touchIntervalMs = Math.min(60_000, Math.floor(timeouts.idleTtlMs / 10));
  return {
    async get(cookieValue: string): Promise<SessionData | null> {
      const key = sessionStorageKey(cookieValue);
      const record = await sessions.get(key);
      if (!record) return null;
      const now = clock();
      const expiresAt = sessionExpiry(record.createdAt, record.lastSeenAt, timeouts);
      if (now >= expiresAt || now >= record.expiresAt) {
        await sessions.delete(key);
        return null;
      }
      let lastSeenAt = record.lastSeenAt;
      if (now - lastSeenAt >= touchIntervalMs) {
        lastSeenAt = now;
        await sessions.touch(key, now, sessionExpiry(record.createdAt, now, timeouts));
      }
      return {
        userId: record.userId,
        handle: record.handle,
        createdAt: record.createdAt,
        lastSeenAt,
        userAgent: record.userAgent,
        ip: record.ip,
      };
    },
    async set(cookieValue: string, data: Record<string, unknown>): Promise<void> {
      // Only a signed-in session is ever stored; koa-session calls set() after a change.
      if (!isSessionData(data)) return;
      const value = data as unknown as SessionData;
      const record: SessionRecord = {
        handle: value.handle,
        userId: value.userId,
        createdAt: value.createdAt,
        lastSeenAt: value.lastSeenAt,
        expiresAt: sessionExpiry(value.createdAt, value.lastSeenAt, timeouts),
        userAgent: value.userAgent,
        ip: value.ip,
      };
      await sessions.save(sessionStorageKey(cookieValue), record);
    },
    async destroy(cookieValue: string): Promise<void> {
      await sessions.delete(sessionStorageKey(cookieValue));
    },
  };
}
