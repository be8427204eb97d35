import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { openRedisStore, openSqliteStore, type Store } from '@authlab/store';
import { type RedisServer, redisServerBinary, requireComponent, startRedisServer } from '@authlab/testkit';
import { errors } from 'oidc-provider';
import { storeAdapterFactory } from '../src/modes/oidc/adapter.ts';
import { manualClock } from './support/server.ts';

const hasRedis = redisServerBinary() !== null;
const sha256 = (value: string) => createHash('sha256').update(value).digest('base64url');

describe('oidc-provider adapter over the store', () => {
  let redis: RedisServer | undefined;
  let prefix = 0;
  before(async () => {
    if (hasRedis) redis = await startRedisServer();
  });
  after(async () => {
    await redis?.stop();
  });

  it('has a redis-server to run against', (t) => {
    requireComponent(t, hasRedis, 'redis-server', 'apt-get install redis-server');
  });

  for (const kind of ['sqlite', 'redis'] as const) {
    describe(kind, { skip: kind === 'redis' && !hasRedis ? 'redis-server not found' : false }, () => {
      const clock = manualClock(Date.UTC(2026, 0, 1));
      let store: Store;
      let Adapter: ReturnType<typeof storeAdapterFactory>;
      before(() => {
        store =
          kind === 'sqlite'
            ? openSqliteStore({ path: ':memory:', clock })
            : openRedisStore({ url: redis?.url ?? '', clock, keyPrefix: `adapter-test:${++prefix}:` });
        Adapter = storeAdapterFactory(store.oidc, clock);
      });
      after(() => store.close());

      it('stores codes, tokens and sign-in session ids only as their hash, in the key and in the payload', async () => {
        const codes = new Adapter('AuthorizationCode');
        // oidc-provider repeats the id in the payload (jti): it is not stored, and comes back on find.
        await codes.upsert('the-code-value', { jti: 'the-code-value', grantId: 'g1', kind: 'AuthorizationCode' }, 60);
        assert.deepEqual(await codes.find('the-code-value'), {
          jti: 'the-code-value',
          grantId: 'g1',
          kind: 'AuthorizationCode',
        });
        assert.equal(await store.oidc.find('AuthorizationCode', 'the-code-value'), null);
        const stored = await store.oidc.find('AuthorizationCode', sha256('the-code-value'));
        assert.ok(stored);
        assert.ok(!JSON.stringify(stored).includes('the-code-value'), JSON.stringify(stored));
        // The sign-in session's id is its cookie's value: hashed too, and hashed where an interaction names it.
        await new Adapter('Session').upsert('the-session-id', { jti: 'the-session-id', uid: 'u1', accountId: 'a' }, 60);
        assert.equal(await store.oidc.find('Session', 'the-session-id'), null);
        assert.ok(
          !JSON.stringify(await store.oidc.find('Session', sha256('the-session-id'))).includes('the-session-id'),
        );
        await new Adapter('Interaction').upsert(
          'i1',
          { jti: 'i1', session: { uid: 'u1', cookie: 'the-session-id' } },
          60,
        );
        assert.ok(!JSON.stringify(await store.oidc.find('Interaction', 'i1')).includes('the-session-id'));
        // Grants are not bearer values: they keep their ids (the API looks grants up).
        const grants = new Adapter('Grant');
        await grants.upsert('g1', { accountId: 'alice', clientId: 'c' }, 60);
        assert.notEqual(await store.oidc.find('Grant', 'g1'), null);
      });

      it('forgets a record once its lifetime has passed on the injected clock', async () => {
        const codes = new Adapter('AuthorizationCode');
        await codes.upsert('short-lived', { grantId: 'g-ttl' }, 60);
        clock.advance(59_999);
        assert.ok(await codes.find('short-lived'));
        clock.advance(1);
        assert.equal(await codes.find('short-lived'), undefined);
      });

      it('marks a consumed code, and a second consume is invalid_grant that revokes the whole grant', async () => {
        const codes = new Adapter('AuthorizationCode');
        const refresh = new Adapter('RefreshToken');
        const grants = new Adapter('Grant');
        await grants.upsert('g-replay', { accountId: 'alice', clientId: 'c' }, 600);
        await codes.upsert('code-replay', { grantId: 'g-replay' }, 60);
        await refresh.upsert('refresh-from-first-exchange', { grantId: 'g-replay' }, 600);

        await codes.consume('code-replay');
        const found = await codes.find('code-replay');
        assert.equal(typeof found?.consumed, 'number', 'the provider sees `consumed` on the next find');

        await assert.rejects(codes.consume('code-replay'), errors.InvalidGrant);
        assert.equal(await refresh.find('refresh-from-first-exchange'), undefined);
        assert.equal(await grants.find('g-replay'), undefined);
      });

      it('lets exactly one of 20 concurrent redemptions of one code through', async () => {
        const codes = new Adapter('AuthorizationCode');
        await codes.upsert('raced-code', { grantId: 'g-race' }, 60);
        const results = await Promise.allSettled(Array.from({ length: 20 }, () => codes.consume('raced-code')));
        assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
        const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
        assert.equal(rejected.length, 19);
        for (const r of rejected) assert.ok(r.reason instanceof errors.InvalidGrant);
      });

      it('refuses to consume what is not there', async () => {
        await assert.rejects(new Adapter('AuthorizationCode').consume('never-issued'), errors.InvalidGrant);
      });

      it('finds sessions by uid and revokes every model of a grant', async () => {
        const sessions = new Adapter('Session');
        await sessions.upsert('session-jti', { uid: 'uid-1', accountId: 'alice' }, 600);
        assert.equal((await sessions.findByUid('uid-1'))?.accountId, 'alice');
        const access = new Adapter('AccessToken');
        await access.upsert('at-1', { grantId: 'g-revoke' }, 600);
        await new Adapter('Grant').upsert('g-revoke', { accountId: 'alice' }, 600);
        await access.revokeByGrantId('g-revoke');
        assert.equal(await access.find('at-1'), undefined);
        assert.equal(await new Adapter('Grant').find('g-revoke'), undefined);
        await sessions.destroy('session-jti');
        assert.equal(await sessions.findByUid('uid-1'), undefined);
      });
    });
  }
});
