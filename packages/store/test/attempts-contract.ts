import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AttemptBucket, Store } from '../src/index.ts';

/**
 * `Store.attempts` (login-limit counters), run inside the store contract (SQLite and Redis) with
 * the contract's fresh store and manual clock for each test.
 */
export function describeAttemptsContract(current: () => Store, advance: (ms: number) => void): void {
  describe('attempt counters', () => {
    const attempts = () => current().attempts;
    const pair: AttemptBucket = { key: 'pair:a', limit: 3, windowMs: 60_000 };
    const ip: AttemptBucket = { key: 'ip:a', limit: 5, windowMs: 120_000 };
    const account: AttemptBucket = { key: 'account:a', limit: null, windowMs: 60_000 };

    it('counts in every bucket and refuses, counting nothing, once a bucket with a limit is full', async () => {
      for (let i = 1; i <= 3; i++) {
        assert.deepEqual(await attempts().reserve([pair, ip, account]), { granted: true, counts: [i, i, i] });
      }
      advance(10_000);
      const refused = await attempts().reserve([pair, ip, account]);
      assert.deepEqual(refused, { granted: false, retryAfterMs: 50_000 });
      // Nothing was counted by the refusal: the IP and account counters are still at 3.
      assert.deepEqual(await attempts().reserve([ip, account]), { granted: true, counts: [4, 4] });
    });

    it('lets no more than the limit through when reservations race', async () => {
      const results = await Promise.all(Array.from({ length: 25 }, () => attempts().reserve([pair, account])));
      assert.equal(results.filter((r) => r.granted).length, 3);
      const counts = results.flatMap((r) => (r.granted ? [r.counts[1]] : [])).sort();
      assert.deepEqual(counts, [1, 2, 3], 'each granted attempt saw its own count');
    });

    it('never refuses a bucket without a limit', async () => {
      for (let i = 1; i <= 50; i++) await attempts().reserve([account]);
      assert.deepEqual(await attempts().reserve([account]), { granted: true, counts: [51] });
    });

    it('opens a new window once the old one has ended, by the store clock', async () => {
      for (let i = 0; i < 3; i++) await attempts().reserve([pair]);
      advance(59_999);
      assert.equal((await attempts().reserve([pair])).granted, false);
      advance(1);
      assert.deepEqual(await attempts().reserve([pair]), { granted: true, counts: [1] });
    });

    it('gives one point back per release, never below zero, and forgets cleared keys', async () => {
      for (let i = 0; i < 3; i++) await attempts().reserve([pair, ip]);
      await attempts().release([ip.key]);
      assert.deepEqual(await attempts().reserve([ip]), { granted: true, counts: [3] });
      await attempts().clear([pair.key]);
      assert.deepEqual(await attempts().reserve([pair]), { granted: true, counts: [1] });
      await attempts().release([pair.key, pair.key, pair.key, 'never-counted']);
      assert.deepEqual(await attempts().reserve([pair]), { granted: true, counts: [1] });
    });
  });
}
