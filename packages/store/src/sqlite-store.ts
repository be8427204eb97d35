import { DatabaseSync } from 'node:sqlite';
import { orderedId } from './ids.ts';
import { ATTEMPTS_SCHEMA, ATTEMPTS_SWEEP_SQL, createSqliteAttempts } from './sqlite-attempts.ts';
import { createSqliteCredentialChecks } from './sqlite-credential-checks.ts';
import { createSqliteIdentities, IDENTITIES_SCHEMA } from './sqlite-identities.ts';
import { createSqliteOidc, OIDC_SCHEMA, OIDC_SWEEP_SQL } from './sqlite-oidc.ts';
import {
  createSqliteRefreshTokens,
  REFRESH_SCHEMA,
  REFRESH_SUCCESSOR_SWEEP_SQL,
  REFRESH_SWEEP_SQL,
} from './sqlite-refresh.ts';
import { returningArrays, toUser, type UserRow, userColumnsOf, userFromArray } from './sqlite-user-row.ts';
import {
  type Clock,
  type Note,
  normalizeEmail,
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
`;

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

const toNote = (row: NoteRow): Note => ({
  id: row.id,
  ownerId: row.owner_id,
  text: row.text,
  createdAt: row.created_at,
});

/** The columns of a session record, in the order {@link sessionFromArray} reads them. */
const SESSION_COLUMNS = ['handle', 'user_id', 'created_at', 'last_seen_at', 'expires_at', 'user_agent', 'ip'] as const;

const sessionFromArray = (row: readonly unknown[]): SessionRecord => ({
  handle: row[0] as string,
  userId: row[1] as string,
  createdAt: row[2] as number,
  lastSeenAt: row[3] as number,
  expiresAt: row[4] as number,
  userAgent: row[5] as string,
  ip: row[6] as string,
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
    db.exec(REFRESH_SCHEMA);
    db.exec(OIDC_SCHEMA);
    db.exec(IDENTITIES_SCHEMA);
    db.exec(ATTEMPTS_SCHEMA);
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
    // One statement, so one read transaction (see sqlite-credential-checks.ts); an array row.
    sessionWithUser: returningArrays(
      db.prepare(
        `SELECT ${SESSION_COLUMNS.join(', ')}, ${userColumnsOf('sessions.user_id')} FROM sessions WHERE key = ? AND expires_at > ?`,
      ),
    ),
    sessionTouch: db.prepare('UPDATE sessions SET last_seen_at = ?, expires_at = ? WHERE key = ?'),
    sessionDelete: db.prepare('DELETE FROM sessions WHERE key = ?'),
    sessionList: db.prepare('SELECT * FROM sessions WHERE user_id = ? AND expires_at > ? ORDER BY created_at, key'),
    sessionDeleteByUser: db.prepare('DELETE FROM sessions WHERE user_id = ?'),
    sweepSessions: db.prepare('DELETE FROM sessions WHERE expires_at <= ?'),
    // Their tokens go with them (ON DELETE CASCADE); until then a replayed token is still detected.
    sweepFamilies: db.prepare(REFRESH_SWEEP_SQL),
    sweepSuccessors: db.prepare(REFRESH_SUCCESSOR_SWEEP_SQL),
    sweepOidc: db.prepare(OIDC_SWEEP_SQL),
    sweepAttempts: db.prepare(ATTEMPTS_SWEEP_SQL),
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

  const sweepTimer = setInterval(() => {
    try {
      const now = clock();
      transaction(() => {
        q.sweepSessions.run(now);
        q.sweepFamilies.run(now);
        q.sweepSuccessors.run(now);
        q.sweepOidc.run(now);
        q.sweepAttempts.run(now);
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
          const row = q.sessionWithUser.get(key, clock()) as unknown[] | undefined;
          return row ? { record: sessionFromArray(row), user: userFromArray(row, SESSION_COLUMNS.length) } : null;
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
    refreshTokens: createSqliteRefreshTokens({ db, run, transaction }),
    oidc: createSqliteOidc({ db, clock, run, transaction }),
    identities: createSqliteIdentities({ db, clock, run }),
    attempts: createSqliteAttempts({ db, clock, run, transaction }),
    credentialChecks: createSqliteCredentialChecks({ db, clock, run }),
    ping: () => run(() => void db.prepare('SELECT 1').get()),
    close: async () => {
      if (closed) return;
      closed = true;
      clearInterval(sweepTimer);
      db.close();
    },
  };
}
