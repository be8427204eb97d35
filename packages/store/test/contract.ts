import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, it } from 'node:test';
import {
  type ConsumeOutcome,
  type NewRefreshFamily,
  type OidcRecord,
  type RefreshFamily,
  type RotateOutcome,
  type SessionRecord,
  type Store,
  StoreConflictError,
} from '../src/index.ts';
import { describeAttemptsContract } from './attempts-contract.ts';
import { describeCredentialChecksContract } from './credential-checks-contract.ts';
import { describeIdentityContract } from './identities-contract.ts';
import { describeRefreshGraceContract } from './refresh-grace-contract.ts';

/** A clock the tests move by hand. */
export function manualClock(start = Date.UTC(2026, 0, 1)) {
  let now = start;
  return {
    now: () => now,
    advance(ms: number) {
      now += ms;
    },
  };
}

export const REFRESH_IDLE_TTL = 60_000;
export const REFRESH_ABSOLUTE_TTL = 600_000;

/** A stand-in for the SHA-256 of a fresh refresh token. */
export const tokenHash = () => randomBytes(32).toString('hex');

/** A new refresh family starting at `now`, with the TTLs above unless overridden. */
export function newFamily(userId: string, now: number, overrides: Partial<NewRefreshFamily> = {}): NewRefreshFamily {
  return {
    id: randomUUID(),
    userId,
    name: 'test device',
    userAgent: 'test-agent',
    ip: '127.0.0.1',
    createdAt: now,
    lastUsedAt: now,
    idleExpiresAt: now + REFRESH_IDLE_TTL,
    absoluteExpiresAt: now + REFRESH_ABSOLUTE_TTL,
    ...overrides,
  };
}

/** How many of each outcome a batch of rotations produced. */
export function countOutcomes(results: RotateOutcome[]): Record<RotateOutcome['outcome'], number> {
  const counts = { rotated: 0, replayed: 0, reused: 0, invalid: 0 };
  for (const result of results) counts[result.outcome]++;
  return counts;
}

/** An OIDC record live for a minute from `now`, with a payload that exercises JSON fidelity. */
export function oidcRecord(now: number, overrides: Partial<OidcRecord> = {}): OidcRecord {
  return {
    payload: { jti: randomUUID(), kind: 'AuthorizationCode', scope: 'openid email', claims: [] },
    expiresAt: now + 60_000,
    consumedAt: null,
    ...overrides,
  };
}

/** How many of each outcome a batch of consume calls produced. */
export function countConsumeOutcomes(results: ConsumeOutcome[]): Record<ConsumeOutcome['outcome'], number> {
  const counts = { consumed: 0, already_consumed: 0, missing: 0 };
  for (const result of results) counts[result.outcome]++;
  return counts;
}

export type StoreFactory = (clock: () => number) => Promise<Store>;

/**
 * The behaviour every Store implementation shares. SQLite and Redis both run it, so the server
 * behaves the same whichever one is configured (TTL semantics included).
 */
export function describeStoreContract(name: string, open: StoreFactory): void {
  describe(`${name} store contract`, () => {
    let clock: ReturnType<typeof manualClock>;
    let store: Store;

    beforeEach(async () => {
      clock = manualClock();
      store = await open(clock.now);
    });
    afterEach(async () => {
      await store.close();
    });

    const newUser = (email: string, role: 'user' | 'admin' = 'user') =>
      store.users.create({ email, role, passwordHash: '$argon2id$fake' });

    const session = (userId: string, overrides: Partial<SessionRecord> = {}): SessionRecord => ({
      handle: `h-${Math.random().toString(36).slice(2)}`,
      userId,
      createdAt: clock.now(),
      lastSeenAt: clock.now(),
      expiresAt: clock.now() + 60_000,
      userAgent: 'test-agent',
      ip: '127.0.0.1',
      ...overrides,
    });

    it('answers ping', async () => {
      await store.ping();
    });

    it('creates users and finds them by id and by email, case-insensitively', async () => {
      const alice = await newUser('Alice@Example.com', 'admin');
      assert.equal(alice.email, 'alice@example.com');
      assert.equal(alice.role, 'admin');
      assert.equal(alice.disabled, false);
      assert.equal(alice.createdAt, clock.now());
      assert.deepEqual(await store.users.findById(alice.id), alice);
      assert.deepEqual(await store.users.findByEmail(' ALICE@example.COM '), alice);
      assert.equal(await store.users.findByEmail('nobody@example.com'), null);
      assert.equal(await store.users.findById('no-such-id'), null);
    });

    it('refuses a second account with the same email', async () => {
      await newUser('bob@example.com');
      await assert.rejects(newUser('BOB@example.com'), StoreConflictError);
      assert.equal(await store.users.count(), 1);
    });

    it('lists, counts and updates users', async () => {
      const a = await newUser('a@example.com');
      clock.advance(1);
      const b = await newUser('b@example.com');
      assert.equal(await store.users.count(), 2);
      assert.deepEqual(
        (await store.users.list()).map((u) => u.email),
        ['a@example.com', 'b@example.com'],
      );
      await store.users.setPasswordHash(a.id, '$argon2id$new');
      await store.users.setRole(a.id, 'admin');
      await store.users.setDisabled(b.id, true);
      const a2 = await store.users.findById(a.id);
      const b2 = await store.users.findByEmail('b@example.com');
      assert.equal(a2?.passwordHash, '$argon2id$new');
      assert.equal(a2?.role, 'admin');
      assert.equal(b2?.disabled, true);
      await store.users.setDisabled(b.id, false);
      assert.equal((await store.users.findById(b.id))?.disabled, false);
    });

    it('keeps notes per owner, newest first, and deletes them', async () => {
      const alice = await newUser('alice@example.com');
      const bob = await newUser('bob@example.com');
      const first = await store.notes.create(alice.id, 'first');
      clock.advance(10);
      const second = await store.notes.create(alice.id, 'second ✓ unicode');
      await store.notes.create(bob.id, 'bob');
      assert.deepEqual(await store.notes.get(first.id), first);
      assert.deepEqual(
        (await store.notes.listByOwner(alice.id)).map((n) => n.text),
        ['second ✓ unicode', 'first'],
      );
      assert.equal(second.ownerId, alice.id);
      assert.equal(await store.notes.delete(first.id), true);
      assert.equal(await store.notes.delete(first.id), false);
      assert.equal(await store.notes.get(first.id), null);
      assert.deepEqual(
        (await store.notes.listByOwner(alice.id)).map((n) => n.id),
        [second.id],
      );
    });

    it('lists notes created in the same millisecond in creation order, newest first', async () => {
      const owner = await newUser('burst@example.com');
      const ids: string[] = [];
      for (let i = 0; i < 20; i++) ids.push((await store.notes.create(owner.id, `n${i}`)).id);
      assert.deepEqual(
        (await store.notes.listByOwner(owner.id)).map((n) => n.id),
        ids.reverse(),
      );
    });

    it('saves, reads, touches and deletes sessions', async () => {
      const user = await newUser('s@example.com');
      const record = session(user.id);
      await store.sessions.save('k1', record);
      assert.deepEqual(await store.sessions.get('k1'), record);
      clock.advance(1000);
      await store.sessions.touch('k1', clock.now(), clock.now() + 60_000);
      const touched = await store.sessions.get('k1');
      assert.equal(touched?.lastSeenAt, clock.now());
      assert.equal(touched?.expiresAt, clock.now() + 60_000);
      await store.sessions.delete('k1');
      assert.equal(await store.sessions.get('k1'), null);
    });

    it('reads a live session with its account as it is now, in one call', async () => {
      const user = await newUser('with-user@example.com');
      const record = session(user.id, { expiresAt: clock.now() + 5_000 });
      await store.sessions.save('kw', record);
      assert.deepEqual(await store.sessions.getWithUser('kw'), { record, user });
      await store.users.setDisabled(user.id, true);
      assert.deepEqual(await store.sessions.getWithUser('kw'), { record, user: { ...user, disabled: true } });
      const orphan = session('no-such-user');
      await store.sessions.save('kw-orphan', orphan);
      // The session as stored (the account it names included), and no account.
      assert.deepEqual(await store.sessions.getWithUser('kw-orphan'), { record: orphan, user: null });
      assert.equal(await store.sessions.getWithUser('no-such-key'), null);
      clock.advance(5_000);
      assert.equal(await store.sessions.getWithUser('kw'), null, 'expired at the store clock');
      await store.sessions.delete('kw-orphan');
      assert.equal(await store.sessions.getWithUser('kw-orphan'), null);
    });

    it('reads, call after call, the session and the account it names now', async () => {
      const first = await newUser('owner-one@example.com');
      const second = await newUser('owner-two@example.com');
      const record = session(first.id);
      await store.sessions.save('ko', record);
      for (let i = 0; i < 3; i++) assert.deepEqual(await store.sessions.getWithUser('ko'), { record, user: first });
      // The same key saved again for another account (as another server instance could): that account.
      const reassigned = session(second.id, { handle: 'h-reassigned' });
      await store.sessions.save('ko', reassigned);
      assert.deepEqual(await store.sessions.getWithUser('ko'), { record: reassigned, user: second });
      assert.deepEqual(await store.sessions.getWithUser('ko'), { record: reassigned, user: second });
      await store.sessions.delete('ko');
      assert.equal(await store.sessions.getWithUser('ko'), null);
      await store.sessions.save('ko', record);
      assert.deepEqual(await store.sessions.getWithUser('ko'), { record, user: first });
    });

    it('treats a session as gone once the clock reaches its expiry', async () => {
      const user = await newUser('ttl@example.com');
      await store.sessions.save('k-ttl', session(user.id, { expiresAt: clock.now() + 5_000 }));
      clock.advance(4_999);
      assert.notEqual(await store.sessions.get('k-ttl'), null);
      clock.advance(1);
      assert.equal(await store.sessions.get('k-ttl'), null);
      assert.deepEqual(await store.sessions.listByUser(user.id), []);
    });

    it('lists and deletes every session of one user only', async () => {
      const a = await newUser('a@example.com');
      const b = await newUser('b@example.com');
      await store.sessions.save('a1', session(a.id));
      clock.advance(1);
      await store.sessions.save('a2', session(a.id));
      await store.sessions.save('b1', session(b.id));
      const listed = await store.sessions.listByUser(a.id);
      assert.deepEqual(
        listed.map((s) => s.key),
        ['a1', 'a2'],
      );
      assert.equal(listed[0]?.record.userId, a.id);
      assert.equal(await store.sessions.deleteByUser(a.id), 2);
      assert.equal(await store.sessions.get('a1'), null);
      assert.equal(await store.sessions.get('a2'), null);
      assert.notEqual(await store.sessions.get('b1'), null);
      assert.deepEqual(await store.sessions.listByUser(a.id), []);
    });

    describe('refresh tokens', () => {
      const refresh = () => store.refreshTokens;
      const rotate = (hash: string, next = tokenHash()) => refresh().rotate(hash, next, clock.now(), REFRESH_IDLE_TTL);
      /** Creates a family for `userId` now and resolves to it and its first token. */
      const createFamily = async (userId: string, overrides: Partial<NewRefreshFamily> = {}) => {
        const family = newFamily(userId, clock.now(), overrides);
        const token = tokenHash();
        await refresh().createFamily(family, token);
        const stored: RefreshFamily = { ...family, revokedAt: null, revokedReason: null };
        return { family: stored, token };
      };

      it('creates a family and finds it by id and by its token', async () => {
        const user = await newUser('device@example.com');
        const { family, token } = await createFamily(user.id, { name: "alice's laptop ✓" });
        assert.deepEqual(await refresh().getFamily(family.id), family);
        assert.deepEqual(await refresh().findFamilyByToken(token), family);
        assert.equal(await refresh().findFamilyByToken(tokenHash()), null);
        assert.equal(await refresh().getFamily(randomUUID()), null);
      });

      it('refuses a second family with a token hash already stored', async () => {
        const user = await newUser('dup@example.com');
        const { token } = await createFamily(user.id);
        await assert.rejects(refresh().createFamily(newFamily(user.id, clock.now()), token), StoreConflictError);
      });

      it('rotates a live token, then revokes the whole family when the spent token is replayed', async () => {
        const user = await newUser('rotate@example.com');
        const { family, token } = await createFamily(user.id);
        clock.advance(1_000);
        const next = tokenHash();
        const rotated = await rotate(token, next);
        assert.deepEqual(rotated, {
          outcome: 'rotated',
          family: { ...family, lastUsedAt: clock.now(), idleExpiresAt: clock.now() + REFRESH_IDLE_TTL },
        });
        assert.equal((await refresh().findFamilyByToken(next))?.id, family.id);
        assert.equal((await refresh().findFamilyByToken(token))?.id, family.id, 'a spent token still names its family');

        clock.advance(1_000);
        const replayNext = tokenHash();
        const replay = await rotate(token, replayNext);
        const revoked = {
          ...(rotated.outcome === 'rotated' ? rotated.family : family),
          revokedAt: clock.now(),
          revokedReason: 'reuse_detected',
        };
        assert.deepEqual(replay, { outcome: 'reused', family: revoked });
        assert.deepEqual(await refresh().getFamily(family.id), revoked);
        assert.equal(await refresh().findFamilyByToken(replayNext), null, 'a replay stores no new token');

        assert.deepEqual(await rotate(next), { outcome: 'invalid' }, 'the live token died with its family');
      });

      it('answers invalid for an unknown token and stores nothing', async () => {
        const next = tokenHash();
        assert.deepEqual(await rotate(tokenHash(), next), { outcome: 'invalid' });
        assert.equal(await refresh().findFamilyByToken(next), null);
      });

      it('refuses a token once the clock reaches its idle expiry, and rotation moves that expiry', async () => {
        const user = await newUser('idle@example.com');
        const { family, token } = await createFamily(user.id);
        clock.advance(REFRESH_IDLE_TTL - 1);
        const next = tokenHash();
        const rotated = await rotate(token, next);
        assert.equal(rotated.outcome, 'rotated');
        assert.equal(rotated.outcome === 'rotated' && rotated.family.idleExpiresAt, clock.now() + REFRESH_IDLE_TTL);
        clock.advance(REFRESH_IDLE_TTL);
        assert.deepEqual(await rotate(next), { outcome: 'invalid' });
        assert.deepEqual(await refresh().listFamilies(user.id, clock.now()), []);
        assert.equal((await refresh().getFamily(family.id))?.revokedAt, null, 'expiry is not revocation');
      });

      it('never moves the idle expiry past the absolute expiry', async () => {
        const user = await newUser('absolute@example.com');
        const start = clock.now();
        const absoluteExpiresAt = start + REFRESH_IDLE_TTL + REFRESH_IDLE_TTL / 2;
        let { token } = await createFamily(user.id, { absoluteExpiresAt });
        for (const at of [REFRESH_IDLE_TTL - 1, absoluteExpiresAt - start - 1]) {
          clock.advance(start + at - clock.now());
          const next = tokenHash();
          const rotated = await rotate(token, next);
          assert.equal(rotated.outcome, 'rotated');
          assert.equal(rotated.outcome === 'rotated' && rotated.family.idleExpiresAt, absoluteExpiresAt);
          token = next;
        }
        clock.advance(1);
        assert.equal(clock.now(), absoluteExpiresAt);
        assert.deepEqual(await rotate(token), { outcome: 'invalid' });
      });

      it('lets exactly one of 50 concurrent rotations of one token win; the others see a replay', async () => {
        const user = await newUser('race@example.com');
        const { family, token } = await createFamily(user.id);
        const nextHashes = Array.from({ length: 50 }, () => tokenHash());
        const results = await Promise.all(nextHashes.map((next) => rotate(token, next)));
        assert.deepEqual(countOutcomes(results), { rotated: 1, replayed: 0, reused: 49, invalid: 0 });
        const winner = nextHashes[results.findIndex((r) => r.outcome === 'rotated')] as string;
        const stored = await Promise.all(nextHashes.map((next) => refresh().findFamilyByToken(next)));
        assert.deepEqual(
          nextHashes.filter((_, i) => stored[i] !== null),
          [winner],
          'only the winner stored its next token',
        );
        assert.equal((await refresh().getFamily(family.id))?.revokedReason, 'reuse_detected');
        assert.deepEqual(await rotate(winner), { outcome: 'invalid' });
      });

      it('reports a spent token replayed after logout as reused and keeps the logout reason', async () => {
        const user = await newUser('late-replay@example.com');
        const { family, token } = await createFamily(user.id);
        const next = tokenHash();
        assert.equal((await rotate(token, next)).outcome, 'rotated');
        clock.advance(1_000);
        const loggedOutAt = clock.now();
        assert.equal(await refresh().revokeFamily(family.id, loggedOutAt, 'logout'), true);
        clock.advance(1_000);
        const replay = await rotate(token);
        assert.equal(replay.outcome, 'reused');
        assert.equal(replay.outcome === 'reused' && replay.family.revokedReason, 'logout');
        assert.equal(replay.outcome === 'reused' && replay.family.revokedAt, loggedOutAt);
        assert.deepEqual(await rotate(next), { outcome: 'invalid' }, 'the live token of a revoked family');
      });

      it("lists only the user's live families, oldest first", async () => {
        const alice = await newUser('alice@example.com');
        const bob = await newUser('bob@example.com');
        const first = await createFamily(alice.id);
        clock.advance(1);
        // Same millisecond: the id breaks the tie, as with sessions.
        const tiedB = await createFamily(alice.id, { id: `${first.family.id}-b` });
        const tiedA = await createFamily(alice.id, { id: `${first.family.id}-a` });
        clock.advance(1);
        const revoked = await createFamily(alice.id);
        const shortLived = await createFamily(alice.id, {
          idleExpiresAt: clock.now() + 10,
          absoluteExpiresAt: clock.now() + 10,
        });
        await createFamily(bob.id);
        await refresh().revokeFamily(revoked.family.id, clock.now(), 'device_revoked');
        assert.deepEqual(
          (await refresh().listFamilies(alice.id, clock.now())).map((f) => f.id),
          [first.family.id, tiedA.family.id, tiedB.family.id, shortLived.family.id],
        );
        clock.advance(10);
        const listed = await refresh().listFamilies(alice.id, clock.now());
        assert.deepEqual(listed, [first.family, tiedA.family, tiedB.family]);
        assert.deepEqual(await refresh().listFamilies('no-such-user', clock.now()), []);
      });

      it('revokes a family once: true the first time, false after', async () => {
        const user = await newUser('revoke@example.com');
        const { family, token } = await createFamily(user.id);
        clock.advance(1_000);
        const revokedAt = clock.now();
        assert.equal(await refresh().revokeFamily(family.id, revokedAt, 'device_revoked'), true);
        clock.advance(1_000);
        assert.equal(await refresh().revokeFamily(family.id, clock.now(), 'logout'), false);
        assert.deepEqual(await refresh().getFamily(family.id), {
          ...family,
          revokedAt,
          revokedReason: 'device_revoked',
        });
        assert.deepEqual(await rotate(token), { outcome: 'invalid' });
        assert.equal(await refresh().revokeFamily(randomUUID(), clock.now(), 'logout'), false);
      });

      it("revokes every live family of one user, counts them, and leaves other users' families live", async () => {
        const alice = await newUser('alice@example.com');
        const bob = await newUser('bob@example.com');
        const a1 = await createFamily(alice.id);
        const a2 = await createFamily(alice.id);
        const a3 = await createFamily(alice.id);
        const b1 = await createFamily(bob.id);
        await refresh().revokeFamily(a3.family.id, clock.now(), 'device_revoked');
        clock.advance(1_000);
        assert.equal(await refresh().revokeAllFamilies(alice.id, clock.now(), 'logout_all'), 2);
        assert.deepEqual(await refresh().listFamilies(alice.id, clock.now()), []);
        assert.equal((await refresh().getFamily(a1.family.id))?.revokedReason, 'logout_all');
        assert.equal((await refresh().getFamily(a2.family.id))?.revokedAt, clock.now());
        assert.equal((await refresh().getFamily(a3.family.id))?.revokedReason, 'device_revoked');
        assert.deepEqual(await rotate(a1.token), { outcome: 'invalid' });
        assert.equal(await refresh().revokeAllFamilies(alice.id, clock.now(), 'logout_all'), 0);
        assert.deepEqual(
          (await refresh().listFamilies(bob.id, clock.now())).map((f) => f.id),
          [b1.family.id],
        );
        assert.equal((await rotate(b1.token)).outcome, 'rotated');
      });

      it('keeps a revoked-before time per user: 0 by default, last write wins', async () => {
        const alice = await newUser('alice@example.com');
        const bob = await newUser('bob@example.com');
        assert.equal(await refresh().getRevokedBefore(alice.id), 0);
        await refresh().setRevokedBefore(alice.id, clock.now());
        await refresh().setRevokedBefore(alice.id, clock.now() + 5_000);
        assert.equal(await refresh().getRevokedBefore(alice.id), clock.now() + 5_000);
        await refresh().setRevokedBefore(alice.id, clock.now() + 1_000);
        assert.equal(await refresh().getRevokedBefore(alice.id), clock.now() + 1_000);
        assert.equal(await refresh().getRevokedBefore(bob.id), 0);
      });
    });

    describe('oidc records', () => {
      const oidc = () => store.oidc;
      const record = (overrides: Partial<OidcRecord> = {}) => oidcRecord(clock.now(), overrides);

      it('upserts a record and finds it by model and id, and by nothing else', async () => {
        const code = record();
        await oidc().upsert('AuthorizationCode', 'code-1', code, { grantId: 'g1' });
        assert.deepEqual(await oidc().find('AuthorizationCode', 'code-1'), code);
        assert.equal(await oidc().find('RefreshToken', 'code-1'), null, 'same id, other model');
        assert.equal(await oidc().find('AuthorizationCode', 'code-2'), null);
      });

      it('returns the payload exactly as stored: empty arrays and objects, unicode, big numbers, slashes', async () => {
        const payload = {
          emptyList: [],
          emptyObject: {},
          nested: { list: [1, 'two', null, { three: true }], deep: { deeper: [[]] } },
          text: 'ü ✓ 😀 "quoted" back\\slash https://rp.example/cb?a=1&b=2 \u0000 \u2028',
          big: 2 ** 53 - 1,
          fraction: 0.1 + 0.2,
          negative: -1e-7,
          flag: false,
          nothing: null,
        };
        await oidc().upsert('Grant', 'g1', record({ payload }), { grantId: 'g1' });
        assert.deepEqual((await oidc().find('Grant', 'g1'))?.payload, payload);
        const consumed = await oidc().consume('Grant', 'g1', clock.now());
        assert.equal(consumed.outcome, 'consumed');
        assert.deepEqual(consumed.outcome === 'consumed' && consumed.record.payload, payload);
        assert.deepEqual(
          (await oidc().find('Grant', 'g1'))?.payload,
          payload,
          'consuming leaves the payload as it was',
        );
      });

      it('replaces payload, expiry and consumedAt on re-upsert', async () => {
        await oidc().upsert('Session', 's1', record({ payload: { v: 1 }, consumedAt: clock.now() }), { uid: 'u1' });
        clock.advance(1_000);
        const replaced = record({ payload: { v: 2 }, expiresAt: clock.now() + 120_000 });
        await oidc().upsert('Session', 's1', replaced, { uid: 'u1' });
        assert.deepEqual(await oidc().find('Session', 's1'), replaced);
        assert.deepEqual(await oidc().findByUid('Session', 'u1'), { id: 's1', record: replaced });
        assert.equal((await oidc().consume('Session', 's1', clock.now())).outcome, 'consumed');
      });

      it('treats a record as gone for every read once the clock reaches its expiresAt', async () => {
        const code = record({ expiresAt: clock.now() + 5_000 });
        await oidc().upsert('DeviceCode', 'd1', code, { grantId: 'g1', uid: 'u1', userCode: 'ABCD-EFGH' });
        await oidc().upsert('Grant', 'g1', record({ expiresAt: clock.now() + 5_000 }), {
          grantId: 'g1',
          accountId: 'acct-1',
        });
        clock.advance(4_999);
        assert.deepEqual(await oidc().find('DeviceCode', 'd1'), code);
        assert.deepEqual(await oidc().findByUid('DeviceCode', 'u1'), { id: 'd1', record: code });
        assert.deepEqual(await oidc().findByUserCode('DeviceCode', 'ABCD-EFGH'), { id: 'd1', record: code });
        assert.deepEqual(await oidc().idsOfAccount('Grant', 'acct-1'), ['g1']);
        clock.advance(1);
        assert.equal(await oidc().find('DeviceCode', 'd1'), null);
        assert.equal(await oidc().findByUid('DeviceCode', 'u1'), null);
        assert.equal(await oidc().findByUserCode('DeviceCode', 'ABCD-EFGH'), null);
        assert.deepEqual(await oidc().consume('DeviceCode', 'd1', clock.now()), { outcome: 'missing' });
        assert.deepEqual(await oidc().idsOfAccount('Grant', 'acct-1'), []);
      });

      it('finds live records by uid and by user code within their own model only', async () => {
        const session = record({ payload: { kind: 'Session' } });
        const device = record({ payload: { kind: 'DeviceCode' } });
        await oidc().upsert('Session', 'sess-1', session, { uid: 'shared-uid' });
        await oidc().upsert('DeviceCode', 'dev-1', device, { userCode: 'WXYZ-1234' });
        assert.deepEqual(await oidc().findByUid('Session', 'shared-uid'), { id: 'sess-1', record: session });
        assert.equal(await oidc().findByUid('Interaction', 'shared-uid'), null);
        assert.deepEqual(await oidc().findByUserCode('DeviceCode', 'WXYZ-1234'), { id: 'dev-1', record: device });
        assert.equal(await oidc().findByUserCode('BackchannelAuthenticationRequest', 'WXYZ-1234'), null);
        assert.equal(await oidc().findByUid('Session', 'other-uid'), null);
        assert.equal(await oidc().findByUserCode('DeviceCode', 'WXYZ-0000'), null);
      });

      it('stops finding a record by its old uid once it is re-upserted with another one', async () => {
        const first = record({ payload: { v: 1 } });
        await oidc().upsert('Session', 's1', first, { uid: 'u-old', userCode: 'code-old' });
        // A session keeps its uid across many re-upserts and stays findable throughout.
        for (let v = 2; v <= 5; v++) {
          clock.advance(10);
          await oidc().upsert('Session', 's1', record({ payload: { v } }), { uid: 'u-old', userCode: 'code-old' });
          assert.deepEqual((await oidc().findByUid('Session', 'u-old'))?.record.payload, { v });
        }
        const moved = record({ payload: { v: 6 } });
        await oidc().upsert('Session', 's1', moved, { uid: 'u-new' });
        assert.equal(await oidc().findByUid('Session', 'u-old'), null);
        assert.equal(await oidc().findByUserCode('Session', 'code-old'), null);
        assert.deepEqual(await oidc().findByUid('Session', 'u-new'), { id: 's1', record: moved });
      });

      it('lets another record take over a uid, and destroying the previous holder does not lose it', async () => {
        await oidc().upsert('Session', 's1', record(), { uid: 'u1' });
        const taker = record({ payload: { holder: 's2' } });
        await oidc().upsert('Session', 's2', taker, { uid: 'u1' });
        await oidc().destroy('Session', 's1');
        assert.deepEqual(await oidc().findByUid('Session', 'u1'), { id: 's2', record: taker });
        // The old holder, brought back without a uid, is not found by the uid it once had.
        await oidc().upsert('Session', 's1', record(), {});
        await oidc().destroy('Session', 's2');
        assert.equal(await oidc().findByUid('Session', 'u1'), null);
      });

      it('consumes a live record once; later calls see already_consumed with the record', async () => {
        const code = record();
        await oidc().upsert('AuthorizationCode', 'c1', code, { grantId: 'g1' });
        clock.advance(1_000);
        const consumedAt = clock.now();
        const consumed = { ...code, consumedAt };
        assert.deepEqual(await oidc().consume('AuthorizationCode', 'c1', consumedAt), {
          outcome: 'consumed',
          record: consumed,
        });
        assert.deepEqual(await oidc().find('AuthorizationCode', 'c1'), consumed);
        clock.advance(1_000);
        assert.deepEqual(await oidc().consume('AuthorizationCode', 'c1', clock.now()), {
          outcome: 'already_consumed',
          record: consumed,
        });
      });

      it('answers missing when consuming an absent or expired record, and stores nothing', async () => {
        assert.deepEqual(await oidc().consume('AuthorizationCode', 'nope', clock.now()), { outcome: 'missing' });
        assert.equal(await oidc().find('AuthorizationCode', 'nope'), null);
        await oidc().upsert('AuthorizationCode', 'short', record({ expiresAt: clock.now() + 10 }), {});
        await oidc().upsert('RefreshToken', 'other-model', record(), {});
        assert.deepEqual(await oidc().consume('AuthorizationCode', 'other-model', clock.now()), {
          outcome: 'missing',
        });
        clock.advance(10);
        assert.deepEqual(await oidc().consume('AuthorizationCode', 'short', clock.now()), { outcome: 'missing' });
        assert.equal((await oidc().find('RefreshToken', 'other-model'))?.consumedAt, null);
      });

      it('lets exactly one of 100 concurrent consumes of one record win', async () => {
        await oidc().upsert('AuthorizationCode', 'race', record(), { grantId: 'g1' });
        const results = await Promise.all(
          Array.from({ length: 100 }, () => oidc().consume('AuthorizationCode', 'race', clock.now())),
        );
        assert.deepEqual(countConsumeOutcomes(results), { consumed: 1, already_consumed: 99, missing: 0 });
        for (const result of results) {
          assert.equal(result.outcome !== 'missing' && result.record.consumedAt, clock.now());
        }
      });

      it('destroys a record together with its index entries', async () => {
        await oidc().upsert('Grant', 'g1', record(), { grantId: 'g1', accountId: 'acct-1' });
        await oidc().upsert('DeviceCode', 'd1', record(), { grantId: 'g1', uid: 'u1', userCode: 'AAAA-BBBB' });
        await oidc().destroy('DeviceCode', 'd1');
        await oidc().destroy('Grant', 'g1');
        await oidc().destroy('Grant', 'never-stored');
        assert.equal(await oidc().find('DeviceCode', 'd1'), null);
        assert.equal(await oidc().findByUid('DeviceCode', 'u1'), null);
        assert.equal(await oidc().findByUserCode('DeviceCode', 'AAAA-BBBB'), null);
        assert.deepEqual(await oidc().consume('DeviceCode', 'd1', clock.now()), { outcome: 'missing' });
        assert.deepEqual(await oidc().idsOfAccount('Grant', 'acct-1'), []);
        // Stored again under the same id without an index: nothing old points at it.
        await oidc().upsert('DeviceCode', 'd1', record(), {});
        assert.equal(await oidc().findByUid('DeviceCode', 'u1'), null);
        await oidc().revokeByGrantId('g1');
        assert.notEqual(await oidc().find('DeviceCode', 'd1'), null, 'no longer part of grant g1');
      });

      it('revokes a grant: every record of any model indexed with it goes, other grants stay', async () => {
        const models = ['AuthorizationCode', 'AccessToken', 'RefreshToken'];
        for (const grantId of ['g1', 'g2']) {
          await oidc().upsert('Grant', grantId, record(), { grantId, accountId: 'acct-1' });
          for (const model of models) {
            await oidc().upsert(model, `${model}-${grantId}`, record(), { grantId, uid: `uid-${grantId}` });
          }
        }
        // A consumed code of the grant goes too.
        await oidc().consume('AuthorizationCode', 'AuthorizationCode-g1', clock.now());
        // Moved to another grant by a re-upsert: the old grant's revocation must not touch it.
        await oidc().upsert('RefreshToken', 'moved', record(), { grantId: 'g1' });
        await oidc().upsert('RefreshToken', 'moved', record(), { grantId: 'g2' });

        await oidc().revokeByGrantId('g1');
        for (const model of models) {
          assert.equal(await oidc().find(model, `${model}-g1`), null, `${model} of g1`);
          assert.equal(await oidc().findByUid(model, 'uid-g1'), null, `${model} of g1 by uid`);
          assert.notEqual(await oidc().find(model, `${model}-g2`), null, `${model} of g2`);
        }
        assert.equal(await oidc().find('Grant', 'g1'), null);
        assert.notEqual(await oidc().find('Grant', 'g2'), null);
        assert.notEqual(await oidc().find('RefreshToken', 'moved'), null);
        assert.deepEqual(await oidc().idsOfAccount('Grant', 'acct-1'), ['g2']);

        await oidc().revokeByGrantId('g2');
        assert.equal(await oidc().find('RefreshToken', 'moved'), null);
        assert.deepEqual(await oidc().idsOfAccount('Grant', 'acct-1'), []);
        await oidc().revokeByGrantId('unknown-grant');
      });

      it("lists the grant ids of an account's live grants only, excluding expired and destroyed ones", async () => {
        const grant = (id: string, accountId: string, overrides: Partial<OidcRecord> = {}) =>
          oidc().upsert('Grant', id, record(overrides), { grantId: id, accountId });
        await grant('g-live-b', 'acct-1');
        await grant('g-live-a', 'acct-1');
        // Seconds, not milliseconds: Redis's own PX timer runs on the wall clock and must not fire first.
        await grant('g-expiring', 'acct-1', { expiresAt: clock.now() + 5_000 });
        await grant('g-destroyed', 'acct-1');
        await grant('g-revoked', 'acct-1');
        await grant('g-moved', 'acct-1');
        await grant('g-moved', 'acct-2');
        await grant('g-other', 'acct-2');
        // Only Grant records count here, whatever else carries the account id.
        await oidc().upsert('Session', 's1', record(), { accountId: 'acct-1' });
        await oidc().upsert('Interaction', 'i1', record(), { accountId: 'acct-1' });
        await oidc().destroy('Grant', 'g-destroyed');
        await oidc().revokeByGrantId('g-revoked');
        assert.deepEqual(await oidc().idsOfAccount('Grant', 'acct-1'), ['g-expiring', 'g-live-a', 'g-live-b']);
        clock.advance(5_000);
        assert.deepEqual(await oidc().idsOfAccount('Grant', 'acct-1'), ['g-live-a', 'g-live-b']);
        assert.deepEqual(await oidc().idsOfAccount('Grant', 'acct-2'), ['g-moved', 'g-other']);
        assert.deepEqual(await oidc().idsOfAccount('Grant', 'acct-none'), []);
      });

      it("lists the ids of an account's live provider sessions, so logout-all can end them", async () => {
        const session = (id: string, accountId: string, overrides: Partial<OidcRecord> = {}) =>
          oidc().upsert('Session', id, record(overrides), { uid: `uid-${id}`, accountId });
        await session('s-b', 'acct-1');
        await session('s-a', 'acct-1');
        await session('s-expiring', 'acct-1', { expiresAt: clock.now() + 5_000 });
        await session('s-gone', 'acct-1');
        await session('s-moved', 'acct-1');
        await session('s-moved', 'acct-2');
        await oidc().upsert('Grant', 'g1', record(), { grantId: 'g1', accountId: 'acct-1' });
        await oidc().destroy('Session', 's-gone');
        assert.deepEqual(await oidc().idsOfAccount('Session', 'acct-1'), ['s-a', 's-b', 's-expiring']);
        clock.advance(5_000);
        assert.deepEqual(await oidc().idsOfAccount('Session', 'acct-1'), ['s-a', 's-b']);
        assert.deepEqual(await oidc().idsOfAccount('Session', 'acct-2'), ['s-moved']);
        await oidc().destroy('Session', 's-a');
        assert.deepEqual(await oidc().idsOfAccount('Session', 'acct-1'), ['s-b']);
        assert.equal(await oidc().findByUid('Session', 'uid-s-a'), null);
      });
    });

    describeIdentityContract(() => store);
    describeRefreshGraceContract(() => store, {
      now: () => clock.now(),
      advance: (ms) => clock.advance(ms),
    });
    describeCredentialChecksContract(
      () => store,
      () => clock.now(),
      (ms) => clock.advance(ms),
    );
    describeAttemptsContract(
      () => store,
      (ms) => clock.advance(ms),
    );

    it('refuses work after close with a store error, not a crash', async () => {
      const other = await open(clock.now);
      await other.close();
      await assert.rejects(other.users.count(), (error: Error & { code?: string }) => {
        assert.equal(error.code, 'store_unavailable');
        return true;
      });
    });
  });
}
