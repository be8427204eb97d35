import assert from 'node:assert/strict';
import { after, before, describe, it, test } from 'node:test';
import { DEFAULT_LOGIN_LIMITS, type LoginLimits } from '@authlab/auth-core';
import { type RedisServer, redisServerBinary, requireComponent, startRedisServer } from '@authlab/testkit';
import { Client, DEMO_PASSWORD, startTestServer, type TestServer } from './support/server.ts';

// Issue 15 item 1: limits are consumed before the password is checked, atomically, so a burst of
// concurrent attempts can never have more passwords verified than the limit allows.

const WRONG = 'not-the-right-password';

/** Pair 5 (the default), IP 12, slow-down after 3: each limit reachable with a few dozen requests. */
const LIMITS: LoginLimits = {
  ...DEFAULT_LOGIN_LIMITS,
  pairFailures: 5,
  ipFailures: 12,
  accountSlowdownAfter: 3,
  slowdownBaseMs: 100,
  slowdownMaxMs: 800,
};

const from = (ip: string) => ({ 'X-Forwarded-For': ip });

function tally(statuses: number[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const status of statuses) counts[status] = (counts[status] ?? 0) + 1;
  return counts;
}

function concurrencySuite(name: string, env: () => Record<string, string>, prefix: string) {
  describe(`login limits under concurrency (${name})`, () => {
    let server: TestServer;
    const delays: number[] = [];
    before(async () => {
      server = await startTestServer({
        env: { TRUST_PROXY: '1', ...env() },
        loginLimits: LIMITS,
        sleep: async (ms) => {
          delays.push(ms);
        },
        redisKeyPrefix: `${prefix}:${process.pid}:`,
      });
    });
    after(() => server?.stop());

    it('verifies at most 5 of 40 simultaneous guesses for one account from one address; the rest get 429', async () => {
      const guesses = Array.from({ length: 40 }, (_, i) => (i === 39 ? DEMO_PASSWORD : `${WRONG}-${i}`));
      const responses = await Promise.all(
        guesses.map((password) => new Client(server.url).login('alice@example.com', password, from('203.0.113.40'))),
      );
      const counts = tally(responses.map((response) => response.status));
      assert.equal((counts[401] ?? 0) + (counts[200] ?? 0), LIMITS.pairFailures, JSON.stringify(counts));
      assert.equal(counts[429], 40 - LIMITS.pairFailures, JSON.stringify(counts));
      for (const response of responses.filter((r) => r.status === 429)) {
        assert.equal(response.body.error, 'too_many_attempts');
        assert.match(response.headers.get('retry-after') ?? '', /^[1-9]\d*$/);
      }
    });

    it('verifies at most 12 of 30 simultaneous guesses from one address across many accounts', async () => {
      const responses = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          new Client(server.url).login(`victim${i}@example.com`, WRONG, from('203.0.113.130')),
        ),
      );
      const counts = tally(responses.map((response) => response.status));
      assert.deepEqual(counts, { 401: LIMITS.ipFailures, 429: 30 - LIMITS.ipFailures });
    });

    it('slows simultaneous guesses on one account from many addresses as if they had come one by one', async () => {
      delays.length = 0;
      const responses = await Promise.all(
        Array.from({ length: 7 }, (_, i) =>
          new Client(server.url).login('bob@example.com', WRONG, from(`198.51.100.${10 + i}`)),
        ),
      );
      assert.deepEqual(
        responses.map((response) => response.status),
        Array(7).fill(401),
      );
      // The first 3 pass at once; the next ones wait 100, 200, 400, 800 ms, whatever their order.
      assert.deepEqual(
        delays.sort((a, b) => a - b),
        [100, 200, 400, 800],
      );
    });

    it('gives a successful sign-in its points back: more sign-ins than the IP limit from one address all pass', async () => {
      for (let i = 0; i < LIMITS.ipFailures + 3; i++) {
        const response = await new Client(server.url).login('admin@example.com', DEMO_PASSWORD, from('192.0.2.200'));
        assert.equal(response.status, 200, `sign-in ${i + 1} answered ${response.status}`);
      }
    });

    it('keeps the point of a failed attempt: failures and sign-ins from one address still reach the IP limit', async () => {
      const ip = from('192.0.2.201');
      for (let i = 1; i <= LIMITS.ipFailures; i++) {
        const failed = await new Client(server.url).login(`nobody${i}@example.com`, WRONG, ip);
        assert.equal(failed.status, 401);
        if (i === LIMITS.ipFailures) break;
        const signedIn = await new Client(server.url).login('admin@example.com', DEMO_PASSWORD, ip);
        assert.equal(signedIn.status, 200, `sign-in after failure ${i} answered ${signedIn.status}`);
      }
      const blocked = await new Client(server.url).login('admin@example.com', DEMO_PASSWORD, ip);
      assert.equal(blocked.status, 429);
    });
  });
}

concurrencySuite('SQLite', () => ({}), 'sqlite');

const hasRedis = redisServerBinary() !== null;
test('redis-server is available for the Redis login limits', (t) => {
  requireComponent(t, hasRedis, 'redis-server', 'apt-get install redis-server');
});

if (hasRedis) {
  let redis: RedisServer | undefined;
  before(async () => {
    redis = await startRedisServer();
  });
  after(() => redis?.stop());
  concurrencySuite('Redis', () => ({ REDIS_URL: redis?.url ?? '' }), 'limits');
}
