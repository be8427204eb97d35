import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { User } from '@authlab/store';
import { type RedisServer, redisServerBinary, requireComponent, startRedisServer } from '@authlab/testkit';
import { decodeJwt } from 'jose';
import { Client, DEMO_PASSWORD, startTestServer, type TestServer, type TestServerOptions } from './server.ts';

export type StoreKind = 'sqlite' | 'redis';

export const hasRedis = redisServerBinary() !== null;

/** 256 random bits in base64url: the only shape a refresh token of ours has. */
export const REFRESH_TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/** What a suite gets for one store: a way to start servers on it (stopped when the suite ends). */
export interface StoreFixture {
  kind: StoreKind;
  /**
   * A real server on this store: its own DATA_DIR and, on Redis, its own key prefix (unless the
   * options name a shared one). Stopped by the fixture after the suite.
   */
  start(options?: TestServerOptions): Promise<TestServer>;
  /** A key prefix no other server of this run uses (two instances share one by passing it to both). */
  uniquePrefix(): string;
}

/**
 * Declares `suite` once per store: SQLite, and Redis on a private `redis-server` started for the
 * file. Where redis-server is missing, `requireComponent` fails in CI and skips elsewhere.
 */
export function describeForEachStore(title: string, suite: (fixture: StoreFixture) => void): void {
  test(`${title}: redis-server is available`, (t) => {
    requireComponent(t, hasRedis, 'redis-server', 'apt-get install redis-server');
  });
  for (const kind of ['sqlite', 'redis'] as const) {
    const skip = kind === 'redis' && !hasRedis ? 'redis-server not found' : false;
    describe(`${title} (${kind})`, { skip }, () => {
      let redis: RedisServer | undefined;
      const servers: TestServer[] = [];
      let prefixes = 0;
      const uniquePrefix = () => `authlab-test:${process.pid}:${title}:${++prefixes}:`;

      before(async () => {
        if (kind === 'redis') redis = await startRedisServer();
      });
      after(async () => {
        for (const server of servers) await server.stop();
        await redis?.stop();
      });

      suite({
        kind,
        uniquePrefix,
        start: async (options = {}) => {
          const onRedis: TestServerOptions =
            kind === 'redis' && redis
              ? {
                  redisKeyPrefix: options.redisKeyPrefix ?? uniquePrefix(),
                  env: { REDIS_URL: redis.url, ...options.env },
                }
              : {};
          const server = await startTestServer({ ...options, ...onRedis });
          servers.push(server);
          assert.equal(server.deps.store.kind, kind);
          return server;
        },
      });
    });
  }
}

/**
 * A new account with the demo password, for a test that must own every family of its user. It
 * reuses alice's argon2 hash, so it costs no hashing.
 */
export async function addUser(server: TestServer, email: string): Promise<User> {
  const alice = await server.deps.store.users.findByEmail('alice@example.com');
  assert.ok(alice, 'the demo accounts are seeded');
  return server.deps.store.users.create({ email, role: 'user', passwordHash: alice.passwordHash });
}

type JsonAnswer = Awaited<ReturnType<Client['json']>>;

/** POST /jwt/login as a non-browser client (no Origin, no cookie jar shared with anything). */
export function jwtLogin(
  base: string,
  email: string,
  extra: { device_name?: string; refresh_token_delivery?: 'body' | 'cookie' } = {},
  headers: Record<string, string> = {},
): Promise<JsonAnswer> {
  return new Client(base).json('/jwt/login', {
    method: 'POST',
    json: { email, password: DEMO_PASSWORD, ...extra },
    headers,
  });
}

/** A login that must succeed: its token pair. */
export async function loginPair(
  base: string,
  email: string,
  extra: { device_name?: string } = {},
  headers: Record<string, string> = {},
): Promise<{ access_token: string; refresh_token: string }> {
  const login = await jwtLogin(base, email, extra, headers);
  assert.equal(login.status, 200, JSON.stringify(login.body));
  return login.body;
}

export function refresh(base: string, refreshToken: unknown): Promise<JsonAnswer> {
  return new Client(base).json('/jwt/refresh', { method: 'POST', json: { refresh_token: refreshToken } });
}

/** GET /api/me with a Bearer token. */
export function me(base: string, accessToken: string): Promise<JsonAnswer> {
  return new Client(base).json('/api/me', { headers: { authorization: `Bearer ${accessToken}` } });
}

/** Asserts the access token is refused at the API with RFC 6750's `invalid_token`. */
export async function assertAccessDead(base: string, accessToken: string, message?: string): Promise<void> {
  const answer = await me(base, accessToken);
  assert.equal(answer.status, 401, message ?? 'the access token still works');
  assert.equal(answer.body.error, 'invalid_token', message);
}

export async function assertAccessWorks(base: string, accessToken: string, email?: string): Promise<void> {
  const answer = await me(base, accessToken);
  assert.equal(answer.status, 200, `the access token is refused: ${JSON.stringify(answer.body)}`);
  assert.equal(answer.body.mode, 'jwt');
  if (email) assert.equal(answer.body.email, email);
}

/**
 * Asserts the refresh token is refused with `invalid_grant`. Presenting it is itself a refresh
 * attempt, so call this only on a token that must already be dead.
 */
export async function assertRefreshDead(base: string, refreshToken: string, message?: string): Promise<void> {
  const answer = await refresh(base, refreshToken);
  assert.equal(answer.status, 401, message ?? 'the refresh token still works');
  assert.equal(answer.body.error, 'invalid_grant', message);
}

/**
 * `count` refreshes with one token, all in flight at once (spread over `bases` in turn, for
 * several instances); resolves to every answer.
 */
export function refreshRace(bases: string[], refreshToken: string, count: number): Promise<JsonAnswer[]> {
  return Promise.all(Array.from({ length: count }, (_, i) => refresh(bases[i % bases.length] ?? '', refreshToken)));
}

/** Asserts the outcome of a refresh race: exactly one 200, every other answer 401 invalid_grant, no 5xx. */
export function assertOneWinner(answers: JsonAnswer[]): {
  refresh_token: string;
  access_token: string;
} {
  const statuses = answers.map((a) => a.status);
  assert.equal(statuses.filter((s) => s >= 500).length, 0, `5xx answers: ${statuses.join(',')}`);
  const winners = answers.filter((a) => a.status === 200);
  assert.equal(winners.length, 1, `${winners.length} winners: ${statuses.join(',')}`);
  for (const loser of answers.filter((a) => a.status !== 200)) {
    assert.equal(loser.status, 401);
    assert.equal(loser.body.error, 'invalid_grant');
  }
  return winners[0]?.body;
}

/** The refresh family (`sid`) an access token of ours was issued from. */
export function familyOf(accessToken: string): string {
  const { sid } = decodeJwt(accessToken);
  assert.equal(typeof sid, 'string');
  return sid as string;
}
