import { hash } from 'node:crypto';
import type { Clock, SessionRecord, SessionRepository, User } from '@authlab/store';

export interface SessionTimeouts {
  idleTtlMs: number;
  absoluteTtlMs: number;
}

/** A signed-in session, as the session layer holds it for a request (`beginSession` makes one). */
export interface SessionData {
  userId: string;
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
 * The session layer's view of the session repository. Expiry is ours, with the injected clock:
 * an idle timeout kept alive by a last-seen update at most once per `touchIntervalMs` (never a
 * write per request) and an absolute cap that activity never extends (OWASP Session Management
 * Cheat Sheet, "Session Expiration").
 */
export function sessionStore(sessions: SessionRepository, clock: Clock, timeouts: SessionTimeouts) {
  const touchIntervalMs = Math.min(60_000, Math.floor(timeouts.idleTtlMs / 10));
  return {
    /** The live session of a cookie value and its account (null when gone), read together. */
    async get(cookieValue: string): Promise<{ data: SessionData; user: User | null } | null> {
      const key = sessionStorageKey(cookieValue);
      const found = await sessions.getWithUser(key);
      if (!found) return null;
      const { record, user } = found;
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
      const data: SessionData = {
        userId: record.userId,
        handle: record.handle,
        createdAt: record.createdAt,
        lastSeenAt,
        userAgent: record.userAgent,
        ip: record.ip,
      };
      return { data, user };
    },
    async set(cookieValue: string, value: SessionData): Promise<void> {
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
