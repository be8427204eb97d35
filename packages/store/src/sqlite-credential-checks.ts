import type { DatabaseSync } from 'node:sqlite';
import { oidcRecordOf } from './sqlite-oidc.ts';
import { returningArrays, USER_COLUMNS, userColumnsOf, userFromArray } from './sqlite-user-row.ts';
import type { Clock, CredentialChecks } from './types.ts';

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
  // Array rows (returningArrays): the account's six columns first, then the rest.
  const q = {
    // ?1 the family id, ?2 the user id: account, family's user, family's revocation, revoked-before.
    accessToken: returningArrays(
      db.prepare(
        `SELECT ${USER_COLUMNS.join(', ')},
           (SELECT user_id FROM refresh_families WHERE id = ?1),
           (SELECT revoked_at FROM refresh_families WHERE id = ?1),
           (SELECT revoked_before FROM user_revocations WHERE user_id = ?2)
         FROM users WHERE id = ?2`,
      ),
    ),
    // ?1 the grant id, ?2 the user id, ?3 now: account (null columns when absent), grant.
    oidcGrant: returningArrays(
      db.prepare(
        `SELECT ${userColumnsOf('?2')}, payload, expires_at, consumed_at
         FROM oidc_records WHERE model = 'Grant' AND id = ?1 AND expires_at > ?3`,
      ),
    ),
  };
  return {
    accessToken: (familyId, userId) =>
      run(() => {
        const row = q.accessToken.get(familyId, userId) as unknown[] | undefined;
        const user = row ? userFromArray(row, 0) : null;
        if (!row || !user) return null;
        const familyUserId = row[6] as string | null;
        return {
          user,
          family: familyUserId === null ? null : { userId: familyUserId, revokedAt: row[7] as number | null },
          revokedBefore: (row[8] as number | null) ?? 0,
        };
      }),
    oidcGrant: (grantId, userId) =>
      run(() => {
        const row = q.oidcGrant.get(grantId, userId, clock()) as unknown[] | undefined;
        if (!row) return null;
        const grant = oidcRecordOf(row[6] as string, row[7] as number, row[8] as number | null);
        return { grant, user: userFromArray(row, 0) };
      }),
  };
}
