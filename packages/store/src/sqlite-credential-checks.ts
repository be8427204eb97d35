import type { DatabaseSync } from 'node:sqlite';
import { toUser, type UserRow, userColumnsOf, userFromColumns } from './sqlite-user-row.ts';
import type { Clock, CredentialChecks, OidcRecord } from './types.ts';

interface StandingRow extends UserRow {
  family_user_id: string | null;
  family_revoked_at: number | null;
  revoked_before: number | null;
}

interface GrantRow {
  payload: string;
  expires_at: number;
  consumed_at: number | null;
  [column: string]: unknown;
}

export interface SqliteCredentialChecksDeps {
  db: DatabaseSync;
  clock: Clock;
  /** The store's error mapping: driver errors become store errors, a closed store rejects. */
  run: <T>(fn: () => T) => Promise<T>;
}

/**
 * The SQLite half of `Store.credentialChecks`: each check is one statement, so one read
 * transaction (SQLite locks and unlocks the file, and stats it, for every transaction: three
 * separate reads cost three times that), and one consistent snapshot of the rows it reads.
 */
export function createSqliteCredentialChecks({ db, clock, run }: SqliteCredentialChecksDeps): CredentialChecks {
  const q = {
    // ?1 the family id, ?2 the user id.
    accessToken: db.prepare(
      `SELECT u.*,
         (SELECT user_id FROM refresh_families WHERE id = ?1) AS family_user_id,
         (SELECT revoked_at FROM refresh_families WHERE id = ?1) AS family_revoked_at,
         (SELECT revoked_before FROM user_revocations WHERE user_id = ?2) AS revoked_before
       FROM users u WHERE u.id = ?2`,
    ),
    // ?1 the grant id, ?2 the user id, ?3 now.
    oidcGrant: db.prepare(
      `SELECT payload, expires_at, consumed_at, ${userColumnsOf('?2')}
       FROM oidc_records WHERE model = 'Grant' AND id = ?1 AND expires_at > ?3`,
    ),
  };
  return {
    accessToken: (familyId, userId) =>
      run(() => {
        const row = q.accessToken.get(familyId, userId) as StandingRow | undefined;
        if (!row) return null;
        return {
          user: toUser(row),
          family: row.family_user_id === null ? null : { userId: row.family_user_id, revokedAt: row.family_revoked_at },
          revokedBefore: row.revoked_before ?? 0,
        };
      }),
    oidcGrant: (grantId, userId) =>
      run(() => {
        const row = q.oidcGrant.get(grantId, userId, clock()) as GrantRow | undefined;
        if (!row) return null;
        const grant: OidcRecord = {
          payload: JSON.parse(row.payload) as Record<string, unknown>,
          expiresAt: row.expires_at,
          consumedAt: row.consumed_at,
        };
        return { grant, user: userFromColumns(row) };
      }),
  };
}
