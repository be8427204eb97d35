import assert from 'node:assert/strict';
import { after, before, describe, it, test } from 'node:test';
import { type RedisServer, redisServerBinary, requireComponent, startRedisServer } from '@authlab/testkit';
import { connectRedis, openRedisStore, type Store } from '../src/index.ts';
import {
  countConsumeOutcomes,
  countOutcomes,
  describeStoreContract,
  manualClock,
  newFamily,
  oidcRecord,
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
      assert.deepEqual(countOutcomes(results), { rotated: 1, replayed: 0, reused: 99, invalid: 0 });
      assert.equal((await b.refreshTokens.getFamily(family.id))?.revokedReason, 'reuse_detected');
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('lets exactly one of 100 oidc consumes split across two instances win', async () => {
    const clock = manualClock();
    const keyPrefix = uniquePrefix();
    const a = openRedisStore({ url: running().url, clock: clock.now, keyPrefix });
    const b = openRedisStore({ url: running().url, clock: clock.now, keyPrefix });
    try {
      await a.oidc.upsert('AuthorizationCode', 'code-hash', oidcRecord(clock.now()), { grantId: 'g1' });
      const results = await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          (i % 2 === 0 ? a : b).oidc.consume('AuthorizationCode', 'code-hash', clock.now()),
        ),
      );
      assert.deepEqual(countConsumeOutcomes(results), { consumed: 1, already_consumed: 99, missing: 0 });
      assert.equal((await b.oidc.find('AuthorizationCode', 'code-hash'))?.consumedAt, clock.now());
      await b.oidc.revokeByGrantId('g1');
      assert.equal(await a.oidc.find('AuthorizationCode', 'code-hash'), null);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('gives oidc index keys TTLs no shorter than the records they point to', async () => {
    const clock = manualClock();
    const keyPrefix = uniquePrefix();
    const store = openRedisStore({ url: running().url, clock: clock.now, keyPrefix });
    const raw = connectRedis(running().url);
    try {
      const long = 600_000;
      await store.oidc.upsert('Grant', 'g1', oidcRecord(clock.now(), { expiresAt: clock.now() + long }), {
        grantId: 'g1',
        accountId: 'acct-1',
      });
      // A shorter-lived record of the same grant must not shorten the grant's index.
      await store.oidc.upsert('DeviceCode', 'd1', oidcRecord(clock.now(), { expiresAt: clock.now() + 60_000 }), {
        grantId: 'g1',
        uid: 'u1',
        userCode: 'ABCD-EFGH',
      });
      const pttl = (key: string) => raw.pttl(keyPrefix + key);
      for (const [index, record] of [
        ['oidc:grant:g1', 'oidc:Grant:g1'],
        ['oidc:account:acct-1', 'oidc:Grant:g1'],
        ['oidc:uid:DeviceCode:u1', 'oidc:DeviceCode:d1'],
        ['oidc:usercode:DeviceCode:ABCD-EFGH', 'oidc:DeviceCode:d1'],
      ] as const) {
        // Index first: its expiry was set in the record's own script (Redis freezes time within a
        // script) or later and only longer, so a later read of the record can only be lower.
        const indexTtl = await pttl(index);
        const recordTtl = await pttl(record);
        assert.ok(recordTtl > 0 && indexTtl >= recordTtl, `${index}: PTTL ${indexTtl}, ${record}: PTTL ${recordTtl}`);
      }
      assert.ok((await pttl('oidc:Grant:g1')) > 60_000, 'the record TTL follows expiresAt');
    } finally {
      await store.close();
      raw.disconnect();
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
