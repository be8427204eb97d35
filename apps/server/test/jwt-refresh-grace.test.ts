/**
 * The refresh-token reuse grace window (issue 15, item 5): a rotation whose answer never reached
 * the client must not turn the client's honest retry into a family revocation, and the window
 * must not weaken reuse detection anywhere else (RFC 9700 §4.14.2).
 *
 * The attack run's case is reproduced with a real redis-server frozen (SIGSTOP) during a refresh:
 * the server gives up after its 2 s command timeout (503), the rotation it had already sent lands
 * when Redis runs again, and the retry must get that rotation's successor.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, before, describe, it, test } from 'node:test';
import { type RedisServer, redisServerBinary, requireComponent, startRedisServer } from '@authlab/testkit';
import {
  assertAccessDead,
  assertAccessWorks,
  assertRefreshDead,
  describeForEachStore,
  familyOf,
  loginPair,
  REFRESH_TOKEN_SHAPE,
  refresh,
  refreshRace,
} from './support/jwt.ts';
import { manualClock, startTestServer, type TestServer } from './support/server.ts';

const WINDOW_MS = 30_000;

describeForEachStore('JWT refresh reuse grace window', (store) => {
  let server: TestServer;
  const clock = manualClock();
  before(async () => {
    server = await store.start({ clock });
  });

  const familyState = async (accessToken: string) => server.deps.store.refreshTokens.getFamily(familyOf(accessToken));

  it('answers a rotated token presented again within 30 s with the same refresh token and a working access token for the same family', async () => {
    const first = await loginPair(server.url, 'alice@example.com');
    const rotated = await refresh(server.url, first.refresh_token);
    assert.equal(rotated.status, 200);
    const before = await familyState(first.access_token);
    clock.advance(WINDOW_MS - 1);

    const retry = await refresh(server.url, first.refresh_token);
    assert.equal(retry.status, 200, JSON.stringify(retry.body));
    assert.equal(retry.body.refresh_token, rotated.body.refresh_token, 'the same successor, not a new one');
    assert.equal(retry.headers.get('cache-control'), 'no-store');
    assert.equal(familyOf(retry.body.access_token), familyOf(first.access_token));
    await assertAccessWorks(server.url, retry.body.access_token, 'alice@example.com');
    await assertAccessWorks(server.url, rotated.body.access_token, 'alice@example.com');
    assert.deepEqual(await familyState(first.access_token), before, 'no expiry moved, nothing revoked');

    const next = await refresh(server.url, retry.body.refresh_token);
    assert.equal(next.status, 200, 'the successor rotates as usual');
  });

  it('revokes the family when the rotated token comes back 30 s after its rotation', async () => {
    const first = await loginPair(server.url, 'alice@example.com');
    const rotated = (await refresh(server.url, first.refresh_token)).body;
    clock.advance(WINDOW_MS);
    const late = await refresh(server.url, first.refresh_token);
    assert.equal(late.status, 401);
    assert.equal(late.body.error, 'invalid_grant');
    await assertRefreshDead(server.url, rotated.refresh_token, 'the successor survived a late replay');
    await assertAccessDead(server.url, rotated.access_token);
    assert.equal((await familyState(first.access_token))?.revokedReason, 'reuse_detected');
  });

  it('revokes the family when the rotated token comes back after its successor was used, within the window', async () => {
    const first = await loginPair(server.url, 'alice@example.com');
    const second = (await refresh(server.url, first.refresh_token)).body;
    const third = (await refresh(server.url, second.refresh_token)).body;
    assert.match(third.refresh_token, REFRESH_TOKEN_SHAPE);
    clock.advance(1_000);
    // A thief replaying the first token cannot get the live token once the device moved on.
    const replay = await refresh(server.url, first.refresh_token);
    assert.equal(replay.status, 401);
    assert.equal(replay.body.refresh_token, undefined);
    await assertRefreshDead(server.url, third.refresh_token, 'the newest token survived the replay');
    await assertAccessDead(server.url, third.access_token);
  });

  it('gives a forged or unknown token nothing and leaves the family alive', async () => {
    const first = await loginPair(server.url, 'alice@example.com');
    const rotated = (await refresh(server.url, first.refresh_token)).body;
    const forged = randomBytes(32).toString('base64url');
    const answer = await refresh(server.url, forged);
    assert.equal(answer.status, 401);
    assert.equal(answer.body.error, 'invalid_grant');
    assert.equal(answer.body.refresh_token, undefined);
    await assertAccessWorks(server.url, rotated.access_token);
    assert.equal((await refresh(server.url, rotated.refresh_token)).status, 200);
  });

  it('makes 40 parallel refreshes with one token converge on one successor, and the family lives on', async () => {
    const pair = await loginPair(server.url, 'bob@example.com');
    const answers = await refreshRace([server.url], pair.refresh_token, 40);
    assert.deepEqual([...new Set(answers.map((a) => a.status))], [200]);
    const successors = new Set(answers.map((a) => a.body.refresh_token));
    assert.equal(successors.size, 1, `${successors.size} different successors`);
    const [successor] = successors;
    assert.equal((await familyState(pair.access_token))?.revokedAt, null);
    assert.equal((await refresh(server.url, successor)).status, 200);
  });

  if (store.kind === 'sqlite') {
    it('stores no usable successor: neither the token nor anything it can be recovered from without the old token', async () => {
      const first = await loginPair(server.url, 'alice@example.com');
      const rotated = (await refresh(server.url, first.refresh_token)).body;
      const db = new DatabaseSync(join(server.dataDir, 'authlab.db'), { readOnly: true });
      try {
        const rows = db.prepare('SELECT * FROM refresh_successors').all();
        assert.ok(rows.length > 0, 'the rotation kept its sealed successor');
        const dump = JSON.stringify(
          ['refresh_tokens', 'refresh_successors'].map((table) => db.prepare(`SELECT * FROM ${table}`).all()),
        );
        assert.ok(!dump.includes(rotated.refresh_token), 'the successor is in the database in clear');
        assert.ok(!dump.includes(first.refresh_token), 'the old token is in the database in clear');
      } finally {
        db.close();
      }
    });
  }
});

describeForEachStore('JWT refresh with REFRESH_REUSE_GRACE=0 (strict)', (store) => {
  it('revokes the family at the first second presentation, even an immediate one', async () => {
    const server = await store.start({ clock: manualClock(), env: { REFRESH_REUSE_GRACE: '0' } });
    const first = await loginPair(server.url, 'alice@example.com');
    const rotated = (await refresh(server.url, first.refresh_token)).body;
    const retry = await refresh(server.url, first.refresh_token);
    assert.equal(retry.status, 401);
    await assertRefreshDead(server.url, rotated.refresh_token);
  });
});

const hasRedis = redisServerBinary() !== null;

test('JWT refresh during a Redis stall: redis-server is available', (t) => {
  requireComponent(t, hasRedis, 'redis-server', 'apt-get install redis-server');
});

describe('JWT refresh during a Redis stall', { skip: hasRedis ? false : 'redis-server not found' }, () => {
  let redis: RedisServer;
  let server: TestServer;
  const clock = manualClock();
  before(async () => {
    redis = await startRedisServer();
    server = await startTestServer({
      clock,
      env: { REDIS_URL: redis.url },
      redisKeyPrefix: `authlab-test:${process.pid}:stall:`,
    });
  });
  after(async () => {
    redis?.resume();
    await server?.stop();
    await redis?.stop();
  });

  /** Polls the store until `predicate` holds (Redis runs the commands queued during the stall first). */
  async function until(predicate: () => Promise<boolean>, what: string): Promise<void> {
    const deadline = Date.now() + 20_000;
    while (!(await predicate())) {
      if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  it("answers 503 while Redis is frozen; the rotation lands later, and the client's retry gets the same new pair and keeps the family", async () => {
    const first = await loginPair(server.url, 'alice@example.com');
    const familyId = familyOf(first.access_token);
    clock.advance(1_000);
    const rotatedAt = clock();

    redis.pause();
    let stalled: Awaited<ReturnType<typeof refresh>>;
    try {
      stalled = await refresh(server.url, first.refresh_token);
    } finally {
      redis.resume();
    }
    assert.equal(stalled.status, 503, JSON.stringify(stalled.body));
    assert.equal(stalled.body.error, 'store_unavailable');
    // The client never saw it, but the rotation happened: the family was used at `rotatedAt`.
    await until(
      async () => (await server.deps.store.refreshTokens.getFamily(familyId))?.lastUsedAt === rotatedAt,
      'the stalled rotation to land',
    );

    clock.advance(5_000);
    const retry = await refresh(server.url, first.refresh_token);
    assert.equal(retry.status, 200, `the honest retry: ${JSON.stringify(retry.body)}`);
    assert.match(retry.body.refresh_token, REFRESH_TOKEN_SHAPE);
    const again = await refresh(server.url, first.refresh_token);
    assert.equal(again.body.refresh_token, retry.body.refresh_token, 'a second retry gets the same successor');
    await assertAccessWorks(server.url, retry.body.access_token, 'alice@example.com');
    assert.equal((await server.deps.store.refreshTokens.getFamily(familyId))?.revokedAt, null);

    const next = await refresh(server.url, retry.body.refresh_token);
    assert.equal(next.status, 200, 'the family lives on');
    // The successor is spent now: the old token is reuse again, and ends the family.
    assert.equal((await refresh(server.url, first.refresh_token)).status, 401);
    await assertAccessDead(server.url, next.body.access_token);
  });
});
