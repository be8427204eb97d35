/**
 * The native client's side of issue 15, item 5: a refresh answered 503 (here by a real server
 * whose real Redis is frozen with SIGSTOP) must keep the refresh token and retry later, and the
 * retry must get the successor the stalled rotation created, so the device stays signed in.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it, test } from 'node:test';
import {
  DEMO_PASSWORD,
  type RedisServer,
  redisServerBinary,
  requireComponent,
  type ServerProcess,
  startRedisServer,
  startServerProcess,
} from '@authlab/testkit';
import { decodeJwt } from 'jose';
import { JwtSource, MemoryVault, TokenManager, type TokenManagerEvents } from '../src/index.ts';

const hasRedis = redisServerBinary() !== null;

test('redis-server is available', (t) => {
  requireComponent(t, hasRedis, 'redis-server', 'apt-get install redis-server');
});

/** Polls until `predicate` holds; fails after 20 s instead of hanging. */
async function until(predicate: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await predicate().catch(() => false))) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** `/healthz` answers 200 only once Redis has answered a ping, which it does after every command queued before it. */
const healthy = async (url: string) => (await fetch(`${url}/healthz`)).status === 200;

describe('TokenManager when a refresh meets a Redis stall', {
  skip: hasRedis ? false : 'redis-server not found',
}, () => {
  let redis: RedisServer;
  let server: ServerProcess;
  let url: string;
  before(async () => {
    redis = await startRedisServer();
    // The server as a black box: its own process, on the real Redis.
    server = await startServerProcess({ env: { REDIS_URL: redis.url } });
    url = server.url;
  });
  after(async () => {
    redis?.resume();
    await server?.stop();
    await redis?.stop();
  });

  it('keeps the refresh token through the 503, retries, and its retry gets the successor: still signed in', async () => {
    const source = new JwtSource({ server: url });
    const vault = new MemoryVault();
    const account = `jwt:${url}`;
    const storedToken = async () => JSON.parse((await vault.get(account)) ?? '{}').refreshToken as string | undefined;
    const seen: Array<keyof TokenManagerEvents> = [];
    const duringBackoff: Array<string | undefined> = [];
    const manager = new TokenManager({
      source,
      vault,
      account,
      // The backoff wait: Redis runs again meanwhile, and the rotation it had queued lands.
      sleep: async () => {
        duringBackoff.push(await storedToken());
        redis.resume();
        await until(() => healthy(url), 'Redis to answer again');
      },
    });
    for (const name of ['refreshed', 'refresh-failed', 'signed-out'] as const) manager.on(name, () => seen.push(name));
    const signIn = await source.login('alice@example.com', DEMO_PASSWORD, 'stall test');
    await manager.signIn(signIn);
    const familyId = decodeJwt(signIn.accessToken).sid;
    const original = await storedToken();

    redis.pause();
    let accessToken: string;
    try {
      accessToken = await manager.refresh();
    } finally {
      redis.resume();
    }

    assert.deepEqual(seen, ['refresh-failed', 'refreshed'], 'one 503, then the retry succeeded; never signed out');
    assert.deepEqual(duringBackoff, [original], 'the old refresh token was kept while waiting to retry');
    const successor = await storedToken();
    assert.ok(successor && successor !== original, 'the vault holds the successor');
    assert.equal(decodeJwt(accessToken).sid, familyId, 'the same family, not a new sign-in');
    const devices = await manager.fetch(`${url}/jwt/devices`);
    assert.equal(devices.status, 200, 'the family is alive');
    const listed = ((await devices.json()) as { devices: Array<{ id: string }> }).devices.map((d) => d.id);
    assert.ok(listed.includes(String(familyId)));
    manager.close();
  });
});
