import assert from 'node:assert/strict';
import { after, before, describe, it, test } from 'node:test';
import { type RedisServer, redisServerBinary, requireComponent, startRedisServer } from '@authlab/testkit';
import { connectRedis, openRedisStore, type Store } from '../src/index.ts';
import {
  countOutcomes,
  describeStoreContract,
  manualClock,
  newFamily,
  REFRESH_ABSOLUTE_TTL,
  REFRESH_IDLE_TTL,
  tokenHash,
} from './contract.ts';

const hasRedis = redisServerBinary() !== null;
let server: RedisServer | undefined;
let n = 0;
/** Each store gets its own key prefix, so tests never see each other's data. */
const uniquePrefix = () => `authlab-test:${process.pid}:${n++}:`;

const running = (): RedisServer => {
  if (!server) throw new Error('redis-server is not running');
  return server;
};

// Fails in CI, skips on a developer's machine; the suite below is skipped either way.
test('redis-server is available', (t) => {
  requireComponent(t, hasRedis, 'redis-server', 'apt-get install redis-server');
});

const isUnavailable = (error: Error & { code?: string }) => {
  assert.equal(error.code, 'store_unavailable');
  return true;
};

/** Polls until `ping()` succeeds; fails after `timeoutMs` instead of hanging. */
async function waitForPing(store: Store, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await store.ping();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

describe('Redis store', { skip: hasRedis ? false : 'redis-server not found' }, () => {
  before(async () => {
    server = await startRedisServer();
  });
  after(async () => {
    await server?.stop();
  });

  describeStoreContract('Redis', async (clock) =>
    openRedisStore({ url: running().url, clock, keyPrefix: uniquePrefix() }),
  );

  it('fails fast while Redis is down and recovers by itself', async () => {
    const redis = running();
    const store = openRedisStore({ url: redis.url, keyPrefix: uniquePrefix() });
    try {
      await store.ping();
      await redis.stop();
      const started = Date.now();
      await assert.rejects(store.ping(), isUnavailable);
      await assert.rejects(store.users.count(), isUnavailable);
      await assert.rejects(store.sessions.get('any'), isUnavailable);
      assert.ok(Date.now() - started < 3_000, `took ${Date.now() - started} ms`);
      await redis.restart();
      await waitForPing(store);
      assert.equal(await store.users.count(), 0);
    } finally {
      await store.close();
    }
  });

  it('shares state between instances on the same server and prefix', async () => {
    const clock = manualClock();
    const keyPrefix = uniquePrefix();
    const a = openRedisStore({ url: running().url, clock: clock.now, keyPrefix });
    const b = openRedisStore({ url: running().url, clock: clock.now, keyPrefix });
    try {
      const user = await a.users.create({ email: 'shared@example.com', role: 'user', passwordHash: 'x' });
      assert.deepEqual(await b.users.findByEmail('shared@example.com'), user);
      await assert.rejects(
        b.users.create({ email: 'SHARED@example.com', role: 'user', passwordHash: 'y' }),
        (error: Error & { code?: string }) => error.code === 'conflict',
      );
      const record = {
        handle: 'h-shared',
        userId: user.id,
        createdAt: clock.now(),
        lastSeenAt: clock.now(),
        expiresAt: clock.now() + 60_000,
        userAgent: 'test-agent',
        ip: '127.0.0.1',
      };
      await a.sessions.save('shared-key', record);
      assert.deepEqual(await b.sessions.get('shared-key'), record);
      await b.sessions.delete('shared-key');
      assert.equal(await a.sessions.get('shared-key'), null);
      assert.deepEqual(await a.sessions.listByUser(user.id), []);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("shows one instance's refresh-family revocations to another at once", async () => {
    const clock = manualClock();
    const keyPrefix = uniquePrefix();
    const a = openRedisStore({ url: running().url, clock: clock.now, keyPrefix });
    const b = openRedisStore({ url: running().url, clock: clock.now, keyPrefix });
    try {
      const laptop = newFamily('user-1', clock.now());
      const phone = newFamily('user-1', clock.now() + 1);
      const [laptopToken, phoneToken] = [tokenHash(), tokenHash()];
      await a.refreshTokens.createFamily(laptop, laptopToken);
      await b.refreshTokens.createFamily(phone, phoneToken);
      assert.equal((await b.refreshTokens.findFamilyByToken(laptopToken))?.id, laptop.id);

      assert.equal(await b.refreshTokens.revokeFamily(laptop.id, clock.now(), 'device_revoked'), true);
      assert.deepEqual(await a.refreshTokens.rotate(laptopToken, tokenHash(), clock.now(), REFRESH_IDLE_TTL), {
        outcome: 'invalid',
      });
      assert.deepEqual(
        (await a.refreshTokens.listFamilies('user-1', clock.now())).map((f) => f.id),
        [phone.id],
      );

      assert.equal(await a.refreshTokens.revokeAllFamilies('user-1', clock.now(), 'logout_all'), 1);
      assert.deepEqual(await b.refreshTokens.rotate(phoneToken, tokenHash(), clock.now(), REFRESH_IDLE_TTL), {
        outcome: 'invalid',
      });
      assert.equal((await b.refreshTokens.getFamily(phone.id))?.revokedReason, 'logout_all');

      await a.refreshTokens.setRevokedBefore('user-1', clock.now());
      assert.equal(await b.refreshTokens.getRevokedBefore('user-1'), clock.now());
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('lets exactly one of 100 rotations split across two instances win', async () => {
    const clock = manualClock();
    const keyPrefix = uniquePrefix();
    const a = openRedisStore({ url: running().url, clock: clock.now, keyPrefix });
    const b = openRedisStore({ url: running().url, clock: clock.now, keyPrefix });
    try {
      const family = newFamily('user-1', clock.now());
      const token = tokenHash();
      await a.refreshTokens.createFamily(family, token);
      const results = await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          (i % 2 === 0 ? a : b).refreshTokens.rotate(token, tokenHash(), clock.now(), REFRESH_IDLE_TTL),
        ),
      );
      assert.deepEqual(countOutcomes(results), { rotated: 1, reused: 99, invalid: 0 });
      assert.equal((await b.refreshTokens.getFamily(family.id))?.revokedReason, 'reuse_detected');
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("gives refresh keys a TTL that keeps spent tokens until the family's absolute expiry", async () => {
    const clock = manualClock();
    const keyPrefix = uniquePrefix();
    const store = openRedisStore({ url: running().url, clock: clock.now, keyPrefix });
    const raw = connectRedis(running().url);
    try {
      const family = newFamily('user-1', clock.now());
      const [spent, live] = [tokenHash(), tokenHash()];
      await store.refreshTokens.createFamily(family, spent);
      clock.advance(1_000);
      await store.refreshTokens.rotate(spent, live, clock.now(), REFRESH_IDLE_TTL);
      const remaining = REFRESH_ABSOLUTE_TTL - 1_000;
      for (const key of [
        `refresh:token:${spent}`,
        `refresh:token:${live}`,
        `refresh:family:${family.id}`,
        'refresh:families:user:user-1',
      ]) {
        const ttl = await raw.pttl(keyPrefix + key);
        // Well past the idle TTL (so a replay is still detected), never past the absolute end.
        assert.ok(ttl > REFRESH_IDLE_TTL && ttl <= REFRESH_ABSOLUTE_TTL, `${key}: PTTL ${ttl}`);
      }
      assert.ok((await raw.pttl(`${keyPrefix}refresh:token:${spent}`)) <= remaining);
    } finally {
      await store.close();
      raw.disconnect();
    }
  });

  it('closes idempotently and then refuses work', async () => {
    const store = openRedisStore({ url: running().url, keyPrefix: uniquePrefix() });
    await store.ping();
    await store.close();
    await store.close();
    await assert.rejects(store.ping(), isUnavailable);
    await assert.rejects(store.sessions.listByUser('u'), isUnavailable);
  });
});
