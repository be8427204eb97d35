import { DatabaseSync } from 'node:sqlite';
import { orderedId } from './ids.ts';
import { createSqliteIdentities, IDENTITIES_SCHEMA } from './sqlite-identities.ts';
import { createSqliteOidc, OIDC_SCHEMA, OIDC_SWEEP_SQL } from './sqlite-oidc.ts';
import {
  type Clock,
  type Note,
  normalizeEmail,
  type RefreshFamily,
  type RevokeReason,
  type Role,
  type RotateOutcome,
  type SessionRecord,
  type Store,
  StoreConflictError,
  StoreUnavailableError,
  systemClock,
  type User,
} from './types.ts';

export interface SqliteStoreOptions {
  /** A file path, or `:memory:`. */
  path: string;
  clock?: Clock;
  /** How often expired rows are swept, in ms (reads already ignore them). */
  sweepIntervalMs?: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS users (
  id TEXT PRIMARY KEY,
  email TEXT NOT NULL UNIQUE,
  role TEXT NOT NULL CHECK (role IN ('user','admin')),
  password_hash TEXT NOT NULL,
  disabled INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS notes (
  id TEXT PRIMARY KEY,
  owner_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  text TEXT NOT NULL,
  created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS notes_owner ON notes(owner_id, created_at);
CREATE TABLE IF NOT EXISTS sessions (
  key TEXT PRIMARY KEY,
  handle TEXT NOT NULL UNIQUE,
  user_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  user_agent TEXT NOT NULL,
  ip TEXT NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS sessions_user ON sessions(user_id, created_at);
CREATE INDEX IF NOT EXISTS sessions_expiry ON sessions(expires_at);
CREATE TABLE IF NOT EXISTS refresh_families (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  name TEXT NOT NULL,
  user_agent TEXT NOT NULL,
  ip TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  last_used_at INTEGER NOT NULL,
  idle_expires_at INTEGER NOT NULL,
  absolute_expires_at INTEGER NOT NULL,
  revoked_at INTEGER,
  revoked_reason TEXT
) STRICT;
CREATE INDEX IF NOT EXISTS refresh_families_user ON refresh_families(user_id, created_at);
CREATE INDEX IF NOT EXISTS refresh_families_expiry ON refresh_families(absolute_expires_at);
CREATE TABLE IF NOT EXISTS refresh_tokens (
  hash TEXT PRIMARY KEY,
  family_id TEXT NOT NULL REFERENCES refresh_families(id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL,
  rotated_at INTEGER
) STRICT;
CREATE INDEX IF NOT EXISTS refresh_tokens_family ON refresh_tokens(family_id);
CREATE TABLE IF NOT EXISTS user_revocations (
  user_id TEXT PRIMARY KEY,
  revoked_before INTEGER NOT NULL
) STRICT;
`;

interface UserRow {
  id: string;
  email: string;
  role: Role;
  password_hash: string;
  disabled: number;
  created_at: number;
}

interface NoteRow {
  id: string;
  owner_id: string;
  text: string;
  created_at: number;
}

interface SessionRow {
  key: string;
  handle: string;
  user_id: string;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
  user_agent: string;
  ip: string;
}

interface RefreshFamilyRow {
  id: string;
  user_id: string;
  name: string;
  user_agent: string;
  ip: string;
  created_at: number;
  last_used_at: number;
  idle_expires_at: number;
  absolute_expires_at: number;
  revoked_at: number | null;
  revoked_reason: RevokeReason | null;
}

interface RefreshTokenRow {
  hash: string;
  family_id: string;
  created_at: number;
  rotated_at: number | null;
}

const toUser = (row: UserRow): User => ({
  id: row.id,
  email: row.email,
  role: row.role,
  passwordHash: row.password_hash,
  disabled: row.disabled === 1,
  createdAt: row.created_at,
});

const toNote = (row: NoteRow): Note => ({
  id: row.id,
  ownerId: row.owner_id,
  text: row.text,
  createdAt: row.created_at,
});

const toSession = (row: SessionRow): SessionRecord => ({
  handle: row.handle,
  userId: row.user_id,
  createdAt: row.created_at,
  lastSeenAt: row.last_seen_at,
  expiresAt: row.expires_at,
  userAgent: row.user_agent,
  ip: row.ip,
});

const toFamily = (row: RefreshFamilyRow): RefreshFamily => ({
  id: row.id,
  userId: row.user_id,
  name: row.name,
  userAgent: row.user_agent,
  ip: row.ip,
  createdAt: row.created_at,
  lastUsedAt: row.last_used_at,
  idleExpiresAt: row.idle_expires_at,
  absoluteExpiresAt: row.absolute_expires_at,
  revokedAt: row.revoked_at,
  revokedReason: row.revoked_reason,
});

const isExpired = (row: RefreshFamilyRow, now: number) => now >= row.idle_expires_at || now >= row.absolute_expires_at;

/**
 * The embedded default store: one SQLite file in WAL mode (`node:sqlite`, no native build).
 *
 * @example
 * const store = openSqliteStore({ path: 'data/authlab.db' });
 * await store.users.create({ email: 'a@example.com', role: 'user', passwordHash });
 */
export function openSqliteStore(options: SqliteStoreOptions): Store {
  const clock = options.clock ?? systemClock;
  let db: DatabaseSync;
  try {
    db = new DatabaseSync(options.path);
    db.exec(
      'PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;',
    );
    db.exec(SCHEMA);
    db.exec(OIDC_SCHEMA);
    db.exec(IDENTITIES_SCHEMA);
  } catch (error) {
    throw new StoreUnavailableError(`cannot open SQLite database ${options.path}: ${(error as Error).message}`, {
      cause: error,
    });
  }

  const q = {
    userInsert: db.prepare(
      'INSERT INTO users (id, email, role, password_hash, disabled, created_at) VALUES (?, ?, ?, ?, 0, ?)',
    ),
    userById: db.prepare('SELECT * FROM users WHERE id = ?'),
    userByEmail: db.prepare('SELECT * FROM users WHERE email = ?'),
    userList: db.prepare('SELECT * FROM users ORDER BY created_at, email'),
    userCount: db.prepare('SELECT count(*) AS n FROM users'),
    userSetHash: db.prepare('UPDATE users SET password_hash = ? WHERE id = ?'),
    userSetRole: db.prepare('UPDATE users SET role = ? WHERE id = ?'),
    userSetDisabled: db.prepare('UPDATE users SET disabled = ? WHERE id = ?'),
    noteInsert: db.prepare('INSERT INTO notes (id, owner_id, text, created_at) VALUES (?, ?, ?, ?)'),
    noteGet: db.prepare('SELECT * FROM notes WHERE id = ?'),
    noteList: db.prepare('SELECT * FROM notes WHERE owner_id = ? ORDER BY created_at DESC, id DESC'),
    noteDelete: db.prepare('DELETE FROM notes WHERE id = ?'),
    sessionUpsert: db.prepare(
      `INSERT INTO sessions (key, handle, user_id, created_at, last_seen_at, expires_at, user_agent, ip)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(key) DO UPDATE SET handle = excluded.handle, user_id = excluded.user_id,
         created_at = excluded.created_at, last_seen_at = excluded.last_seen_at,
         expires_at = excluded.expires_at, user_agent = excluded.user_agent, ip = excluded.ip`,
    ),
    sessionGet: db.prepare('SELECT * FROM sessions WHERE key = ? AND expires_at > ?'),
    sessionTouch: db.prepare('UPDATE sessions SET last_seen_at = ?, expires_at = ? WHERE key = ?'),
    sessionDelete: db.prepare('DELETE FROM sessions WHERE key = ?'),
    sessionList: db.prepare('SELECT * FROM sessions WHERE user_id = ? AND expires_at > ? ORDER BY created_at, key'),
    sessionDeleteByUser: db.prepare('DELETE FROM sessions WHERE user_id = ?'),
    familyInsert: db.prepare(
      `INSERT INTO refresh_families (id, user_id, name, user_agent, ip, created_at, last_used_at,
         idle_expires_at, absolute_expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    familyGet: db.prepare('SELECT * FROM refresh_families WHERE id = ?'),
    familyByToken: db.prepare(
      'SELECT f.* FROM refresh_tokens t JOIN refresh_families f ON f.id = t.family_id WHERE t.hash = ?',
    ),
    familyList: db.prepare(
      `SELECT * FROM refresh_families WHERE user_id = ? AND revoked_at IS NULL
         AND idle_expires_at > ? AND absolute_expires_at > ? ORDER BY created_at, id`,
    ),
    familyUse: db.prepare('UPDATE refresh_families SET last_used_at = ?, idle_expires_at = ? WHERE id = ?'),
    familyRevoke: db.prepare(
      'UPDATE refresh_families SET revoked_at = ?, revoked_reason = ? WHERE id = ? AND revoked_at IS NULL',
    ),
    familyRevokeByUser: db.prepare(
      'UPDATE refresh_families SET revoked_at = ?, revoked_reason = ? WHERE user_id = ? AND revoked_at IS NULL',
    ),
    tokenInsert: db.prepare('INSERT INTO refresh_tokens (hash, family_id, created_at) VALUES (?, ?, ?)'),
    tokenGet: db.prepare('SELECT * FROM refresh_tokens WHERE hash = ?'),
    tokenSpend: db.prepare('UPDATE refresh_tokens SET rotated_at = ? WHERE hash = ? AND rotated_at IS NULL'),
    revokedBeforeSet: db.prepare(
      `INSERT INTO user_revocations (user_id, revoked_before) VALUES (?, ?)
       ON CONFLICT(user_id) DO UPDATE SET revoked_before = excluded.revoked_before`,
    ),
    revokedBeforeGet: db.prepare('SELECT revoked_before FROM user_revocations WHERE user_id = ?'),
    sweepSessions: db.prepare('DELETE FROM sessions WHERE expires_at <= ?'),
    // Their tokens go with them (ON DELETE CASCADE); until then a replayed token is still detected.
    sweepFamilies: db.prepare('DELETE FROM refresh_families WHERE absolute_expires_at <= ?'),
    sweepOidc: db.prepare(OIDC_SWEEP_SQL),
  };

  /**
   * Runs `fn` in one write transaction. IMMEDIATE takes the write lock up front, so another
   * process on the same file cannot read the same live token between our read and our write.
   */
  const transaction = <T>(fn: () => T): T => {
    db.exec('BEGIN IMMEDIATE');
    try {
      const result = fn();
      db.exec('COMMIT');
      return result;
    } catch (error) {
      if (db.isTransaction) db.exec('ROLLBACK');
      throw error;
    }
  };

  const familyById = (id: string): RefreshFamily | null => {
    const row = q.familyGet.get(id) as RefreshFamilyRow | undefined;
    return row ? toFamily(row) : null;
  };

  const sweepTimer = setInterval(() => {
    try {
      const now = clock();
      transaction(() => {
        q.sweepSessions.run(now);
        q.sweepFamilies.run(now);
        q.sweepOidc.run(now);
      });
    } catch {
      // The next request reports the problem; a sweep is only housekeeping.
    }
  }, options.sweepIntervalMs ?? 60_000);
  sweepTimer.unref();

  let closed = false;
  /** Maps driver errors to store errors; a closed database is an unreachable store. */
  const run = <T>(fn: () => T): Promise<T> => {
    if (closed) return Promise.reject(new StoreUnavailableError('the SQLite store is closed'));
    try {
      return Promise.resolve(fn());
    } catch (error) {
      const message = (error as Error).message;
      if (/UNIQUE constraint failed: users\.email/.test(message)) {
        return Promise.reject(new StoreConflictError('email already registered'));
      }
      if (/UNIQUE constraint failed: refresh_(tokens\.hash|families\.id)/.test(message)) {
        return Promise.reject(new StoreConflictError('refresh token or family already stored'));
      }
      return Promise.reject(new StoreUnavailableError(`SQLite: ${message}`, { cause: error }));
    }
  };

  return {
    kind: 'sqlite',
    users: {
      create: (user) =>
        run(() => {
          const created: User = {
            id: orderedId(),
            email: normalizeEmail(user.email),
            role: user.role,
            passwordHash: user.passwordHash,
            disabled: false,
            createdAt: clock(),
          };
          q.userInsert.run(created.id, created.email, created.role, created.passwordHash, created.createdAt);
          return created;
        }),
      findById: (id) =>
        run(() => {
          const row = q.userById.get(id) as UserRow | undefined;
          return row ? toUser(row) : null;
        }),
      findByEmail: (email) =>
        run(() => {
          const row = q.userByEmail.get(normalizeEmail(email)) as UserRow | undefined;
          return row ? toUser(row) : null;
        }),
      list: () => run(() => (q.userList.all() as unknown as UserRow[]).map(toUser)),
      count: () => run(() => Number((q.userCount.get() as { n: number }).n)),
      setPasswordHash: (id, hash) => run(() => void q.userSetHash.run(hash, id)),
      setRole: (id, role) => run(() => void q.userSetRole.run(role, id)),
      setDisabled: (id, disabled) => run(() => void q.userSetDisabled.run(disabled ? 1 : 0, id)),
    },
    notes: {
      create: (ownerId, text) =>
        run(() => {
          const note: Note = { id: orderedId(), ownerId, text, createdAt: clock() };
          q.noteInsert.run(note.id, note.ownerId, note.text, note.createdAt);
          return note;
        }),
      get: (id) =>
        run(() => {
          const row = q.noteGet.get(id) as NoteRow | undefined;
          return row ? toNote(row) : null;
        }),
      listByOwner: (ownerId) => run(() => (q.noteList.all(ownerId) as unknown as NoteRow[]).map(toNote)),
      delete: (id) => run(() => Number(q.noteDelete.run(id).changes) > 0),
    },
    sessions: {
      save: (key, r) =>
        run(
          () =>
            void q.sessionUpsert.run(
              key,
              r.handle,
              r.userId,
              r.createdAt,
              r.lastSeenAt,
              r.expiresAt,
              r.userAgent,
              r.ip,
            ),
        ),
      get: (key) =>
        run(() => {
          const row = q.sessionGet.get(key, clock()) as SessionRow | undefined;
          return row ? toSession(row) : null;
        }),
      getWithUser: (key) =>
        run(() => {
          const row = q.sessionGet.get(key, clock()) as SessionRow | undefined;
          if (!row) return null;
          const userRow = q.userById.get(row.user_id) as UserRow | undefined;
          return { record: toSession(row), user: userRow ? toUser(userRow) : null };
        }),
      touch: (key, lastSeenAt, expiresAt) => run(() => void q.sessionTouch.run(lastSeenAt, expiresAt, key)),
      delete: (key) => run(() => void q.sessionDelete.run(key)),
      listByUser: (userId) =>
        run(() =>
          (q.sessionList.all(userId, clock()) as unknown as SessionRow[]).map((row) => ({
            key: row.key,
            record: toSession(row),
          })),
        ),
      deleteByUser: (userId) => run(() => Number(q.sessionDeleteByUser.run(userId).changes)),
    },
    refreshTokens: {
      createFamily: (f, tokenHash) =>
        run(() =>
          transaction(() => {
            q.familyInsert.run(
              f.id,
              f.userId,
              f.name,
              f.userAgent,
              f.ip,
              f.createdAt,
              f.lastUsedAt,
              f.idleExpiresAt,
              f.absoluteExpiresAt,
            );
            q.tokenInsert.run(tokenHash, f.id, f.createdAt);
          }),
        ),
      rotate: (tokenHash, nextHash, now, idleTtlMs) =>
        run(() =>
          transaction((): RotateOutcome => {
            const token = q.tokenGet.get(tokenHash) as RefreshTokenRow | undefined;
            const row = token && (q.familyGet.get(token.family_id) as RefreshFamilyRow | undefined);
            if (!token || !row || isExpired(row, now)) return { outcome: 'invalid' };
            if (token.rotated_at !== null) {
              // A spent token came back, so someone else holds a copy (RFC 9700 §4.14.2). The losers
              // of a concurrent rotation land here too, even once the first of them has revoked the
              // family; a family already revoked keeps its original reason.
              q.familyRevoke.run(now, 'reuse_detected', row.id);
              return { outcome: 'reused', family: familyById(row.id) as RefreshFamily };
            }
            if (row.revoked_at !== null) return { outcome: 'invalid' };
            q.tokenSpend.run(now, tokenHash);
            q.tokenInsert.run(nextHash, row.id, now);
            q.familyUse.run(now, Math.min(now + idleTtlMs, row.absolute_expires_at), row.id);
            return { outcome: 'rotated', family: familyById(row.id) as RefreshFamily };
          }),
        ),
      findFamilyByToken: (tokenHash) =>
        run(() => {
          const row = q.familyByToken.get(tokenHash) as RefreshFamilyRow | undefined;
          return row ? toFamily(row) : null;
        }),
      getFamily: (id) => run(() => familyById(id)),
      listFamilies: (userId, now) =>
        run(() => (q.familyList.all(userId, now, now) as unknown as RefreshFamilyRow[]).map(toFamily)),
      revokeFamily: (id, now, reason) => run(() => Number(q.familyRevoke.run(now, reason, id).changes) > 0),
      revokeAllFamilies: (userId, now, reason) =>
        run(() => Number(q.familyRevokeByUser.run(now, reason, userId).changes)),
      setRevokedBefore: (userId, at) => run(() => void q.revokedBeforeSet.run(userId, at)),
      getRevokedBefore: (userId) =>
        run(() => {
          const row = q.revokedBeforeGet.get(userId) as { revoked_before: number } | undefined;
          return row ? row.revoked_before : 0;
        }),
    },
    oidc: createSqliteOidc({ db, clock, run, transaction }),
    identities: createSqliteIdentities({ db, clock, run }),
    ping: () => run(() => void db.prepare('SELECT 1').get()),
    close: async () => {
      if (closed) return;
      closed = true;
      clearInterval(sweepTimer);
      db.close();
    },
  };
}
