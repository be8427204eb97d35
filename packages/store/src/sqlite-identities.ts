import type { DatabaseSync } from 'node:sqlite';
import { type Clock, type IdentityRepository, StoreConflictError } from './types.ts';

/**
 * Federated identities: (issuer, subject) → account. Both uniqueness rules are constraints, so
 * two concurrent links (in any process on this file) cannot break them. No foreign key, as with
 * sessions: Redis could not enforce one, and both stores must behave alike.
 */
export const IDENTITIES_SCHEMA = `
CREATE TABLE IF NOT EXISTS identities (
  issuer TEXT NOT NULL,
  subject TEXT NOT NULL,
  user_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (issuer, subject),
  UNIQUE (issuer, user_id)
) STRICT;
`;

export interface SqliteIdentitiesDeps {
  db: DatabaseSync;
  clock: Clock;
  /** The store's error mapping: driver errors become store errors, a closed store rejects. */
  run: <T>(fn: () => T) => Promise<T>;
}

/**
 * The SQLite half of `Store.identities`.
 *
 * @example
 * const identities = createSqliteIdentities({ db, clock, run });
 * await identities.link('https://accounts.google.com', '1098…', alice.id);
 * await identities.find('https://accounts.google.com', '1098…'); // alice.id
 */
export function createSqliteIdentities({ db, clock, run }: SqliteIdentitiesDeps): IdentityRepository {
  const q = {
    // Inserts nothing when either unique key is taken; the caller then reads who holds it.
    insert: db.prepare(
      'INSERT INTO identities (issuer, subject, user_id, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
    ),
    find: db.prepare('SELECT user_id FROM identities WHERE issuer = ? AND subject = ?'),
    unlink: db.prepare('DELETE FROM identities WHERE issuer = ? AND user_id = ? RETURNING subject'),
  };
  const find = (issuer: string, subject: string) =>
    (q.find.get(issuer, subject) as { user_id: string } | undefined)?.user_id ?? null;

  return {
    link: async (issuer, subject, userId) => {
      // The conflict is decided inside `run` but thrown outside it: `run` maps every error it
      // catches to "store unavailable".
      const linked = await run(() => {
        q.insert.run(issuer, subject, userId, clock());
        return find(issuer, subject) === userId;
      });
      if (!linked) {
        throw new StoreConflictError('this identity or this account is already linked to another at that issuer');
      }
    },
    find: (issuer, subject) => run(() => find(issuer, subject)),
    unlink: (issuer, userId) =>
      run(() => (q.unlink.get(issuer, userId) as { subject: string } | undefined)?.subject ?? null),
  };
}
