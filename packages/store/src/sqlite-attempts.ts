import type { DatabaseSync } from 'node:sqlite';
import type { AttemptCounterRepository, Clock } from './types.ts';

/** Login-limit counters: one fixed window per key, reopened by the first attempt after it ends. */
export const ATTEMPTS_SCHEMA = `
CREATE TABLE IF NOT EXISTS attempt_counters (
  key TEXT PRIMARY KEY,
  count INTEGER NOT NULL,
  resets_at INTEGER NOT NULL
) STRICT;
`;

export const ATTEMPTS_SWEEP_SQL = 'DELETE FROM attempt_counters WHERE resets_at <= ?';

export interface SqliteAttemptsDeps {
  db: DatabaseSync;
  clock: Clock;
  run: <T>(fn: () => T) => Promise<T>;
  /** BEGIN IMMEDIATE … COMMIT: no other process on the file writes between our read and write. */
  transaction: <T>(fn: () => T) => T;
}

interface CounterRow {
  count: number;
  resets_at: number;
}

/**
 * The SQLite half of `Store.attempts`: the check and the count of `reserve` run in one write
 * transaction, so concurrent logins (in this process or another on the same file) are serialised.
 *
 * @example
 * const attempts = createSqliteAttempts({ db, clock, run, transaction });
 * await attempts.reserve([{ key: 'pair:203.0.113.5|alice@example.com', limit: 5, windowMs: 900_000 }]);
 */
export function createSqliteAttempts({ db, clock, run, transaction }: SqliteAttemptsDeps): AttemptCounterRepository {
  const q = {
    get: db.prepare('SELECT count, resets_at FROM attempt_counters WHERE key = ?'),
    open: db.prepare(
      `INSERT INTO attempt_counters (key, count, resets_at) VALUES (?, 1, ?)
       ON CONFLICT(key) DO UPDATE SET count = 1, resets_at = excluded.resets_at`,
    ),
    increment: db.prepare('UPDATE attempt_counters SET count = count + 1 WHERE key = ?'),
    decrement: db.prepare(
      'UPDATE attempt_counters SET count = count - 1 WHERE key = ? AND count > 0 AND resets_at > ?',
    ),
    delete: db.prepare('DELETE FROM attempt_counters WHERE key = ?'),
  };
  const live = (key: string, now: number): CounterRow | null => {
    const row = q.get.get(key) as CounterRow | undefined;
    return row && row.resets_at > now ? row : null;
  };

  return {
    reserve: (buckets) =>
      run(() =>
        transaction(() => {
          const now = clock();
          const rows = buckets.map((bucket) => live(bucket.key, now));
          let retryAfterMs = 0;
          buckets.forEach((bucket, i) => {
            const row = rows[i];
            if (bucket.limit !== null && row && row.count >= bucket.limit) {
              retryAfterMs = Math.max(retryAfterMs, row.resets_at - now);
            }
          });
          if (retryAfterMs > 0) return { granted: false as const, retryAfterMs };
          const counts = buckets.map((bucket, i) => {
            const row = rows[i];
            if (!row) {
              q.open.run(bucket.key, now + bucket.windowMs);
              return 1;
            }
            q.increment.run(bucket.key);
            return row.count + 1;
          });
          return { granted: true as const, counts };
        }),
      ),
    release: (keys) =>
      run(() =>
        transaction(() => {
          const now = clock();
          for (const key of keys) q.decrement.run(key, now);
        }),
      ),
    clear: (keys) =>
      run(() =>
        transaction(() => {
          for (const key of keys) q.delete.run(key);
        }),
      ),
  };
}
