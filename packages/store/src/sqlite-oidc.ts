import type { DatabaseSync } from 'node:sqlite';
import {
  ACCOUNT_MODELS,
  type AccountModel,
  type Clock,
  type ConsumeOutcome,
  type OidcIndex,
  type OidcRecord,
  type OidcRepository,
} from './types.ts';

/**
 * The OpenID Provider's records, one row per (model, id). The index columns are part of the row,
 * so an upsert replaces them together with the payload: a stale uid or grant id cannot outlive
 * the version that carried it.
 */
export const OIDC_SCHEMA = `
CREATE TABLE IF NOT EXISTS oidc_records (
  model TEXT NOT NULL,
  id TEXT NOT NULL,
  payload TEXT NOT NULL CHECK (json_valid(payload)),
  expires_at INTEGER NOT NULL,
  consumed_at INTEGER,
  grant_id TEXT,
  uid TEXT,
  user_code TEXT,
  account_id TEXT,
  PRIMARY KEY (model, id)
) STRICT;
CREATE INDEX IF NOT EXISTS oidc_records_grant ON oidc_records(grant_id);
CREATE INDEX IF NOT EXISTS oidc_records_uid ON oidc_records(model, uid);
CREATE INDEX IF NOT EXISTS oidc_records_user_code ON oidc_records(model, user_code);
CREATE INDEX IF NOT EXISTS oidc_records_account ON oidc_records(model, account_id);
CREATE INDEX IF NOT EXISTS oidc_records_expiry ON oidc_records(expires_at);
`;

/** For the store's periodic sweep; reads already ignore expired rows. */
export const OIDC_SWEEP_SQL = 'DELETE FROM oidc_records WHERE expires_at <= ?';

export interface SqliteOidcDeps {
  db: DatabaseSync;
  clock: Clock;
  /** The store's error mapping: driver errors become store errors, a closed store rejects. */
  run: <T>(fn: () => T) => Promise<T>;
  /** The store's write transaction (BEGIN IMMEDIATE), so other processes on the file wait. */
  transaction: <T>(fn: () => T) => T;
}

interface OidcRow {
  id: string;
  payload: string;
  expires_at: number;
  consumed_at: number | null;
}

/** A stored OIDC record from its three columns (also read by position, sqlite-credential-checks.ts). */
export const oidcRecordOf = (payload: string, expiresAt: number, consumedAt: number | null): OidcRecord => ({
  payload: JSON.parse(payload) as Record<string, unknown>,
  expiresAt,
  consumedAt,
});

const toRecord = (row: OidcRow): OidcRecord => oidcRecordOf(row.payload, row.expires_at, row.consumed_at);

/**
 * The SQLite half of `Store.oidc`: every expiry decision compares `expires_at` with `clock`.
 *
 * @example
 * const oidc = createSqliteOidc({ db, clock, run, transaction });
 * await oidc.upsert('AuthorizationCode', codeHash, { payload, expiresAt, consumedAt: null }, { grantId });
 * const outcome = await oidc.consume('AuthorizationCode', codeHash, clock());
 */
export function createSqliteOidc({ db, clock, run, transaction }: SqliteOidcDeps): OidcRepository {
  const columns = 'id, payload, expires_at, consumed_at';
  const q = {
    upsert: db.prepare(
      `INSERT INTO oidc_records (model, id, payload, expires_at, consumed_at, grant_id, uid, user_code, account_id)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(model, id) DO UPDATE SET payload = excluded.payload, expires_at = excluded.expires_at,
         consumed_at = excluded.consumed_at, grant_id = excluded.grant_id, uid = excluded.uid,
         user_code = excluded.user_code, account_id = excluded.account_id`,
    ),
    find: db.prepare(`SELECT ${columns} FROM oidc_records WHERE model = ? AND id = ? AND expires_at > ?`),
    // The index is not unique: should two live records share a uid, the newest expiry wins.
    byUid: db.prepare(
      `SELECT ${columns} FROM oidc_records WHERE model = ? AND uid = ? AND expires_at > ?
       ORDER BY expires_at DESC LIMIT 1`,
    ),
    byUserCode: db.prepare(
      `SELECT ${columns} FROM oidc_records WHERE model = ? AND user_code = ? AND expires_at > ?
       ORDER BY expires_at DESC LIMIT 1`,
    ),
    markConsumed: db.prepare('UPDATE oidc_records SET consumed_at = ? WHERE model = ? AND id = ?'),
    destroy: db.prepare('DELETE FROM oidc_records WHERE model = ? AND id = ?'),
    revokeGrant: db.prepare('DELETE FROM oidc_records WHERE grant_id = ?'),
    idsOfAccount: db.prepare(
      'SELECT id FROM oidc_records WHERE model = ? AND account_id = ? AND expires_at > ? ORDER BY id',
    ),
  };

  const findOne = (statement: typeof q.byUid, model: string, key: string) => {
    const row = statement.get(model, key, clock()) as OidcRow | undefined;
    return row ? { id: row.id, record: toRecord(row) } : null;
  };

  return {
    upsert: (model, id, record, index: OidcIndex) =>
      run(
        () =>
          void q.upsert.run(
            model,
            id,
            JSON.stringify(record.payload),
            record.expiresAt,
            record.consumedAt,
            index.grantId ?? null,
            index.uid ?? null,
            index.userCode ?? null,
            ACCOUNT_MODELS.includes(model as AccountModel) ? (index.accountId ?? null) : null,
          ),
      ),
    find: (model, id) =>
      run(() => {
        const row = q.find.get(model, id, clock()) as OidcRow | undefined;
        return row ? toRecord(row) : null;
      }),
    findByUid: (model, uid) => run(() => findOne(q.byUid, model, uid)),
    findByUserCode: (model, userCode) => run(() => findOne(q.byUserCode, model, userCode)),
    consume: (model, id, now) =>
      run(() =>
        // Read and write under one write lock, so of concurrent consumers (in any process on this
        // file) exactly one reads the record unconsumed.
        transaction((): ConsumeOutcome => {
          const row = q.find.get(model, id, clock()) as OidcRow | undefined;
          if (!row) return { outcome: 'missing' };
          if (row.consumed_at !== null) return { outcome: 'already_consumed', record: toRecord(row) };
          q.markConsumed.run(now, model, id);
          return { outcome: 'consumed', record: { ...toRecord(row), consumedAt: now } };
        }),
      ),
    destroy: (model, id) => run(() => void q.destroy.run(model, id)),
    revokeByGrantId: (grantId) => run(() => void q.revokeGrant.run(grantId)),
    idsOfAccount: (model, accountId) =>
      run(() =>
        (q.idsOfAccount.all(model, accountId, clock()) as unknown as Array<{ id: string }>).map((row) => row.id),
      ),
  };
}
