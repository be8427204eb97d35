import assert from 'node:assert/strict';
import { after, before, describe, it, test } from 'node:test';
import { type AttemptCounterRepository, openRedisStore, openSqliteStore, type Store } from '@authlab/store';
import { type RedisServer, redisServerBinary, requireComponent, startRedisServer } from '@authlab/testkit';
import { AuthError, LoginLimiter, type LoginLimiterOptions, type LoginLimits } from '../src/index.ts';

/** Small limits so a test needs a handful of attempts, not hundreds. */
const TINY: LoginLimits = {
  pairFailures: 3,
  pairWindowSec: 60,
  ipFailures: 1_000,
  ipWindowSec: 60,
  accountSlowdownAfter: 1_000,
  accountWindowSec: 60,
  slowdownBaseMs: 100,
  slowdownMaxMs: 400,
};

/** A `sleep` that returns at once and remembers every delay it was asked for. */
function sleepRecorder() {
  const delays: number[] = [];
  const sleep = async (ms: number) => {
    delays.push(ms);
  };
  return { delays, sleep };
}

type Options = Omit<LoginLimiterOptions, 'limits' | 'counters'> & { counters?: AttemptCounterRepository };

/** Counters in a fresh in-memory SQLite store unless a test passes the Redis store's. */
const stores: Store[] = [];
after(() => Promise.all(stores.map((store) => store.close())));
function freshCounters(): AttemptCounterRepository {
  const store = openSqliteStore({ path: ':memory:' });
  stores.push(store);
  return store.attempts;
}

const limiterWith = (limits: Partial<LoginLimits>, options: Options = {}) =>
  new LoginLimiter({
    sleep: sleepRecorder().sleep,
    ...options,
    counters: options.counters ?? freshCounters(),
    limits: { ...TINY, ...limits },
  });

const tooManyAttempts = (error: unknown) => {
  assert.ok(error instanceof AuthError, `expected AuthError, got ${String(error)}`);
  assert.equal(error.code, 'too_many_attempts');
  assert.equal(error.status, 429);
  assert.ok(Number.isInteger(error.retryAfterSec), `retryAfterSec is ${error.retryAfterSec}`);
  assert.ok((error.retryAfterSec ?? 0) >= 1, `retryAfterSec is ${error.retryAfterSec}`);
  return true;
};

/** `times` attempts whose password was wrong: each keeps the point it reserved. */
async function fail(limiter: LoginLimiter, ip: string, account: string, times: number): Promise<void> {
  for (let i = 0; i < times; i++) await limiter.reserve(ip, account);
}

/** One attempt whose password was right. */
async function succeed(limiter: LoginLimiter, ip: string, account: string): Promise<void> {
  await (await limiter.reserve(ip, account)).succeeded();
}

/** The IP+account pair block and the race, run against the SQLite and the Redis counters alike. */
function pairBlockTests(makeLimiter: (limits: Partial<LoginLimits>) => LoginLimiter): void {
  it('blocks an IP+account pair after N failures with too_many_attempts (429, Retry-After ≥ 1 s)', async () => {
    const limiter = makeLimiter({ pairFailures: 3, pairWindowSec: 60 });
    await fail(limiter, '203.0.113.5', 'alice@example.com', 3);
    await assert.rejects(limiter.reserve('203.0.113.5', 'alice@example.com'), (error: AuthError) => {
      tooManyAttempts(error);
      assert.ok((error.retryAfterSec ?? 0) <= 60, `retryAfterSec ${error.retryAfterSec} exceeds the window`);
      return true;
    });
  });

  it('lets only N of many simultaneous attempts on one pair through; the others are refused before any check', async () => {
    const limiter = makeLimiter({ pairFailures: 3 });
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, () => limiter.reserve('203.0.113.5', 'alice@example.com')),
    );
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 3);
    for (const r of results) if (r.status === 'rejected') tooManyAttempts(r.reason);
  });

  it('blocks only that pair: the same account from another IP and another account from that IP still pass', async () => {
    const limiter = makeLimiter({ pairFailures: 3 });
    await fail(limiter, '203.0.113.5', 'alice@example.com', 3);
    await assert.rejects(limiter.reserve('203.0.113.5', 'alice@example.com'), tooManyAttempts);
    await limiter.reserve('198.51.100.7', 'alice@example.com');
    await limiter.reserve('203.0.113.5', 'bob@example.com');
  });

  it('clears only the pair on success', async () => {
    const limiter = makeLimiter({ pairFailures: 3 });
    await fail(limiter, '203.0.113.5', 'alice@example.com', 2);
    await fail(limiter, '203.0.113.5', 'bob@example.com', 2);
    await succeed(limiter, '203.0.113.5', 'alice@example.com');
    // Alice's pair starts again from zero: three more attempts pass...
    await fail(limiter, '203.0.113.5', 'alice@example.com', 3);
    // ...while Bob's pair from the same IP kept its two failures: one more fills it.
    await fail(limiter, '203.0.113.5', 'bob@example.com', 1);
    await assert.rejects(limiter.reserve('203.0.113.5', 'bob@example.com'), tooManyAttempts);
  });
}

describe('LoginLimiter (SQLite counters)', () => {
  pairBlockTests((limits) => limiterWith(limits));

  it('blocks an IP that fails across many accounts (credential stuffing), not other IPs', async () => {
    const limiter = limiterWith({ pairFailures: 100, ipFailures: 4 });
    for (let i = 0; i < 4; i++) await fail(limiter, '192.0.2.66', `victim${i}@example.com`, 1);
    await assert.rejects(limiter.reserve('192.0.2.66', 'someone-new@example.com'), tooManyAttempts);
    await limiter.reserve('192.0.2.67', 'someone-new@example.com');
  });

  it('gives a success back only its own point: earlier failures from the IP still count', async () => {
    const limiter = limiterWith({ pairFailures: 100, ipFailures: 4 });
    await fail(limiter, '192.0.2.66', 'victim@example.com', 3);
    for (let i = 0; i < 5; i++) await succeed(limiter, '192.0.2.66', 'attacker@example.com');
    await fail(limiter, '192.0.2.66', 'other@example.com', 1);
    await assert.rejects(limiter.reserve('192.0.2.66', 'attacker@example.com'), tooManyAttempts);
  });

  it('slows an account down across different IPs: no delay below the threshold, then doubling up to the cap', async () => {
    const recorder = sleepRecorder();
    const limiter = limiterWith(
      { accountSlowdownAfter: 2, slowdownBaseMs: 100, slowdownMaxMs: 400 },
      { sleep: recorder.sleep },
    );
    const perAttempt: number[] = [];
    for (let i = 1; i <= 7; i++) {
      const ip = `203.0.113.${i}`; // a new address each time: no pair ever reaches its limit
      const recorded = recorder.delays.length;
      await limiter.reserve(ip, 'alice@example.com');
      perAttempt.push(recorder.delays.slice(recorded).reduce((sum, ms) => sum + ms, 0));
    }
    assert.deepEqual(perAttempt, [0, 0, 100, 200, 400, 400, 400]);
  });

  it('slows simultaneous attempts as if they had come one after another', async () => {
    const recorder = sleepRecorder();
    const limiter = limiterWith(
      { accountSlowdownAfter: 2, slowdownBaseMs: 100, slowdownMaxMs: 400 },
      { sleep: recorder.sleep },
    );
    await Promise.all(Array.from({ length: 6 }, (_, i) => limiter.reserve(`203.0.113.${i}`, 'alice@example.com')));
    assert.deepEqual(
      recorder.delays.sort((a, b) => a - b),
      [100, 200, 400, 400],
    );
  });

  it('only slows the owner down from a clean IP, never refuses them, however many failures elsewhere', async () => {
    const recorder = sleepRecorder();
    const limiter = limiterWith(
      { pairFailures: 3, accountSlowdownAfter: 2, slowdownBaseMs: 100, slowdownMaxMs: 400 },
      { sleep: recorder.sleep },
    );
    for (let i = 1; i <= 6; i++) await fail(limiter, `203.0.113.${i}`, 'alice@example.com', 3);
    for (let i = 1; i <= 6; i++) {
      await assert.rejects(limiter.reserve(`203.0.113.${i}`, 'alice@example.com'), tooManyAttempts);
    }
    recorder.delays.length = 0;
    await succeed(limiter, '198.51.100.7', 'alice@example.com');
    assert.deepEqual(recorder.delays, [400]);
  });

  it('computes the slow-down from the number of account failures', () => {
    const limiter = limiterWith({ accountSlowdownAfter: 10, slowdownBaseMs: 250, slowdownMaxMs: 8_000 });
    assert.deepEqual(
      [0, 9, 10, 11, 12, 15, 100, 10_000].map((failures) => limiter.slowdownFor(failures)),
      [0, 0, 250, 500, 1_000, 8_000, 8_000, 8_000],
    );
  });
});

const hasRedis = redisServerBinary() !== null;

// Fails in CI, skips on a developer's machine; the suite below is skipped either way.
test('redis-server is available for the Redis limiter', (t) => {
  requireComponent(t, hasRedis, 'redis-server', 'apt-get install redis-server');
});

describe('LoginLimiter (Redis counters)', { skip: hasRedis ? false : 'redis-server not found' }, () => {
  let server: RedisServer;
  let n = 0;
  const redisCounters = (keyPrefix = `authlab-test:${process.pid}:limiter:${n++}:`) => {
    const store = openRedisStore({ url: server.url, keyPrefix });
    stores.push(store);
    return store.attempts;
  };

  before(async () => {
    server = await startRedisServer();
  });
  after(async () => {
    await Promise.all(stores.splice(0).map((store) => store.close()));
    await server?.stop();
  });

  pairBlockTests((limits) => limiterWith(limits, { counters: redisCounters() }));

  it('shares the counters between instances, so a second server sees the block', async () => {
    const keyPrefix = `authlab-test:${process.pid}:limiter:shared:`;
    const first = limiterWith({ pairFailures: 3 }, { counters: redisCounters(keyPrefix) });
    const second = limiterWith({ pairFailures: 3 }, { counters: redisCounters(keyPrefix) });
    await fail(first, '203.0.113.5', 'alice@example.com', 2);
    await fail(second, '203.0.113.5', 'alice@example.com', 1);
    await assert.rejects(first.reserve('203.0.113.5', 'alice@example.com'), tooManyAttempts);
    await assert.rejects(second.reserve('203.0.113.5', 'alice@example.com'), tooManyAttempts);
  });
});
