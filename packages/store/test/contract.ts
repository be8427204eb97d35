import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, it } from 'node:test';
import {
  type NewRefreshFamily,
  type RefreshFamily,
  type RotateOutcome,
  type SessionRecord,
  type Store,
  StoreConflictError,
} from '../src/index.ts';

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
  const counts = { rotated: 0, reused: 0, invalid: 0 };
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
        assert.deepEqual(countOutcomes(results), { rotated: 1, reused: 49, invalid: 0 });
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
