/**
 * The native client's side of issue 15, item 5: a refresh answered 503 (here by a real server
 * whose real Redis is frozen with SIGSTOP) must keep the refresh token and retry later, and the
 * retry must get the successor the stalled rotation created, so the device stays signed in.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it, test } from 'node:test';
import { type RedisServer, redisServerBinary, requireComponent, startRedisServer } from '@authlab/testkit';
import { decodeJwt } from 'jose';
import {
  DEMO_PASSWORD,
  manualClock,
  startTestServer,
  type TestServer,
} from '../../../apps/server/test/support/server.ts';
import { JwtSource, MemoryVault, TokenManager, type TokenManagerEvents } from '../src/index.ts';

const hasRedis = redisServerBinary() !== null;

test('redis-server is available', (t) => {
  requireComponent(t, hasRedis, 'redis-server', 'apt-get install redis-server');
});

describe('TokenManager when a refresh meets a Redis stall', {
  skip: hasRedis ? false : 'redis-server not found',
}, () => {
  let redis: RedisServer;
  let server: TestServer;
  const clock = manualClock();
  before(async () => {
    redis = await startRedisServer();
    server = await startTestServer({
      clock,
      env: { REDIS_URL: redis.url },
      redisKeyPrefix: `authlab-test:${process.pid}:manager-stall:`,
    });
  });
  after(async () => {
    redis?.resume();
    await server?.stop();
    await redis?.stop();
  });

  it('keeps the refresh token through the 503, retries, and its retry gets the successor: still signed in', async () => {
    const source = new JwtSource({ server: server.url });
    const vault = new MemoryVault();
    const account = `jwt:${server.url}`;
    const storedToken = async () => JSON.parse((await vault.get(account)) ?? '{}').refreshToken as string | undefined;
    const seen: Array<keyof TokenManagerEvents> = [];
    const duringBackoff: Array<string | undefined> = [];
    const manager = new TokenManager({
      source,
      vault,
      account,
      clock,
      // The backoff wait: Redis runs again meanwhile, and the rotation it had queued lands.
      sleep: async () => {
        duringBackoff.push(await storedToken());
        redis.resume();
        await until(async () => (await server.deps.store.refreshTokens.getFamily(familyId))?.lastUsedAt === clock());
      },
    });
    for (const name of ['refreshed', 'refresh-failed', 'signed-out'] as const) manager.on(name, () => seen.push(name));
    const signIn = await source.login('alice@example.com', DEMO_PASSWORD, 'stall test');
    await manager.signIn(signIn);
    const familyId = String(decodeJwt(signIn.accessToken).sid);
    const original = await storedToken();

    clock.advance(16 * 60_000);
    redis.pause();
    let accessToken: string;
    try {
      accessToken = await manager.getAccessToken();
    } finally {
      redis.resume();
    }

    assert.deepEqual(seen, ['refresh-failed', 'refreshed'], 'one 503, then the retry succeeded; never signed out');
    assert.deepEqual(duringBackoff, [original], 'the old refresh token was kept while waiting to retry');
    const successor = await storedToken();
    assert.ok(successor && successor !== original, 'the vault holds the successor');
    const me = await manager.fetch(`${server.url}/api/me`);
    assert.equal(me.status, 200);
    assert.equal(decodeJwt(accessToken).sid, familyId, 'the same family, not a new sign-in');
    assert.equal((await server.deps.store.refreshTokens.getFamily(familyId))?.revokedAt, null);
    manager.close();
  });
});

async function until(predicate: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await predicate())) {
    if (Date.now() > deadline) assert.fail('timed out waiting for the stalled rotation to land');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
