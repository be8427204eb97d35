import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { type SessionRecord, type Store, StoreConflictError } from '../src/index.ts';

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
