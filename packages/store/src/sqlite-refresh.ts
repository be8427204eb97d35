import type { DatabaseSync } from 'node:sqlite';
import type { RefreshFamily, RefreshTokenRepository, RevokeReason, RotateOutcome } from './types.ts';

/** Refresh-token families and their tokens, and each user's "access tokens issued before" mark. */
export const REFRESH_SCHEMA = `
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
-- A rotation's successor, sealed with a key only the rotated token yields (never a usable token),
-- for the reuse grace window; a table of its own so databases made before it gain it as they open.
CREATE TABLE IF NOT EXISTS refresh_successors (
  token_hash TEXT PRIMARY KEY REFERENCES refresh_tokens(hash) ON DELETE CASCADE,
  successor_hash TEXT NOT NULL,
  sealed_successor TEXT NOT NULL,
  expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS refresh_successors_expiry ON refresh_successors(expires_at);
CREATE TABLE IF NOT EXISTS user_revocations (
  user_id TEXT PRIMARY KEY,
  revoked_before INTEGER NOT NULL
) STRICT;
`;

/** For the store's periodic sweep; reads already ignore expired families. */
export const REFRESH_SWEEP_SQL = 'DELETE FROM refresh_families WHERE absolute_expires_at <= ?';
/** Sealed successors past their grace window are of no use to anyone: the sweep removes them. */
export const REFRESH_SUCCESSOR_SWEEP_SQL = 'DELETE FROM refresh_successors WHERE expires_at <= ?';

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

/** Prepared once, when the store opens. */
const refreshStatements = (db: DatabaseSync) => ({
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
  successorInsert: db.prepare(
    'INSERT INTO refresh_successors (token_hash, successor_hash, sealed_successor, expires_at) VALUES (?, ?, ?, ?)',
  ),
  // The successor is handed back only while it is itself unspent: once it has been used, the
  // rotated token coming back is reuse again.
  successorInGrace: db.prepare(
    `SELECT s.sealed_successor FROM refresh_successors s JOIN refresh_tokens n ON n.hash = s.successor_hash
       WHERE s.token_hash = ? AND s.expires_at > ? AND n.rotated_at IS NULL`,
  ),
  revokedBeforeSet: db.prepare(
    `INSERT INTO user_revocations (user_id, revoked_before) VALUES (?, ?)
       ON CONFLICT(user_id) DO UPDATE SET revoked_before = excluded.revoked_before`,
  ),
  revokedBeforeGet: db.prepare('SELECT revoked_before FROM user_revocations WHERE user_id = ?'),
});

export interface SqliteRefreshTokensDeps {
  db: DatabaseSync;
  /** The store's error mapping: driver errors (a UNIQUE conflict included) become store errors. */
  run: <T>(fn: () => T) => Promise<T>;
  /** The store's write transaction (BEGIN IMMEDIATE), so other processes on the file wait. */
  transaction: <T>(fn: () => T) => T;
}

/** The SQLite half of `Store.refreshTokens`. */
export function createSqliteRefreshTokens({ db, run, transaction }: SqliteRefreshTokensDeps): RefreshTokenRepository {
  const q = refreshStatements(db);
  const familyById = (id: string): RefreshFamily | null => {
    const row = q.familyGet.get(id) as RefreshFamilyRow | undefined;
    return row ? toFamily(row) : null;
  };

  return {
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
    rotate: (tokenHash, nextHash, now, idleTtlMs, grace) =>
      run(() =>
        transaction((): RotateOutcome => {
          const token = q.tokenGet.get(tokenHash) as RefreshTokenRow | undefined;
          const row = token && (q.familyGet.get(token.family_id) as RefreshFamilyRow | undefined);
          if (!token || !row || isExpired(row, now)) return { outcome: 'invalid' };
          if (token.rotated_at !== null) {
            // Within its grace window, with the successor unused: the retry of a rotation whose
            // answer was lost (or a concurrent twin of it). It gets that same successor.
            const inGrace =
              row.revoked_at === null &&
              (q.successorInGrace.get(tokenHash, now) as { sealed_successor: string } | undefined);
            if (inGrace) {
              return { outcome: 'replayed', family: toFamily(row), sealedSuccessor: inGrace.sealed_successor };
            }
            // A spent token came back, so someone else holds a copy (RFC 9700 §4.14.2). The losers
            // of a concurrent rotation land here too when there is no grace window, even once the
            // first of them has revoked the family; a family already revoked keeps its reason.
            q.familyRevoke.run(now, 'reuse_detected', row.id);
            return { outcome: 'reused', family: familyById(row.id) as RefreshFamily };
          }
          if (row.revoked_at !== null) return { outcome: 'invalid' };
          q.tokenSpend.run(now, tokenHash);
          q.tokenInsert.run(nextHash, row.id, now);
          if (grace) q.successorInsert.run(tokenHash, nextHash, grace.sealedSuccessor, now + grace.windowMs);
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
  };
}
