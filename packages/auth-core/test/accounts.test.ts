import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { openSqliteStore, type Store } from '@authlab/store';
import {
  AuthError,
  Authenticator,
  DEFAULT_LOGIN_LIMITS,
  LoginLimiter,
  legacyBcryptHash,
  NormalizedPassword,
  PasswordHasher,
  seedDemoUsers,
} from '../src/index.ts';

const PASSWORD = 'correct-horse-battery-staple';
const IP = '203.0.113.5';

/** A real PasswordHasher whose verifyLogin / hash calls are counted, with the hash each login checked. */
async function spyingHasher() {
  const hasher = await PasswordHasher.create();
  const calls = { verifyLogin: 0, hash: 0 };
  /** The stored hash each verifyLogin was given: null for an unknown or disabled account. */
  const checked: Array<string | null> = [];
  /** The password argument of every call, in order. */
  const passwords: unknown[] = [];
  const verifyLogin = hasher.verifyLogin.bind(hasher);
  const hash = hasher.hash.bind(hasher);
  hasher.verifyLogin = (...args) => {
    calls.verifyLogin += 1;
    checked.push(args[0]);
    passwords.push(args[1]);
    return verifyLogin(...args);
  };
  hasher.hash = (...args) => {
    calls.hash += 1;
    passwords.push(args[0]);
    return hash(...args);
  };
  const reset = () => {
    calls.verifyLogin = 0;
    calls.hash = 0;
    checked.length = 0;
    passwords.length = 0;
  };
  return { hasher, calls, checked, passwords, reset };
}

const invalidCredentials = (error: unknown) => {
  assert.ok(error instanceof AuthError, `expected AuthError, got ${String(error)}`);
  assert.equal(error.code, 'invalid_credentials');
  assert.equal(error.status, 401);
  return true;
};

describe('Authenticator', () => {
  let store: Store;
  let spy: Awaited<ReturnType<typeof spyingHasher>>;
  let authenticator: Authenticator;

  before(async () => {
    spy = await spyingHasher();
  });

  beforeEach(async () => {
    await store?.close();
    store = openSqliteStore({ path: ':memory:' });
    await seedDemoUsers(store.users, spy.hasher, PASSWORD);
    const limiter = new LoginLimiter({
      counters: store.attempts,
      limits: { ...DEFAULT_LOGIN_LIMITS, pairFailures: 3 },
      sleep: async () => {},
    });
    authenticator = new Authenticator({ users: store.users, hasher: spy.hasher, limiter });
    spy.reset();
  });
  after(() => store?.close());

  it('signs in with the right password', async () => {
    const user = await authenticator.login('alice@example.com', PASSWORD, IP);
    assert.equal(user.email, 'alice@example.com');
    assert.equal(spy.calls.verifyLogin, 1);
  });

  it('finds the account whatever the case and surrounding spaces of the email', async () => {
    const user = await authenticator.login('  Alice@Example.COM ', PASSWORD, IP);
    assert.equal(user.email, 'alice@example.com');
  });

  it('normalises the password once per attempt: every hashing step gets the same normalised value', async () => {
    // 'ﬁ' (U+FB01) is 'fi' under NFKC: the stored password was typed on another keyboard.
    const ligature = 'legacy-ﬁle-password';
    const legacy = await store.users.findByEmail('legacy@example.com');
    assert.ok(legacy);
    await store.users.setPasswordHash(legacy.id, await legacyBcryptHash('legacy-file-password'));
    spy.reset();
    await authenticator.login('legacy@example.com', ligature, IP); // bcrypt verified, then rehashed
    await assert.rejects(authenticator.login('nobody@example.com', PASSWORD, IP), invalidCredentials);
    assert.deepEqual(spy.calls, { verifyLogin: 2, hash: 1 });
    const [verified, rehashed, dummy] = spy.passwords;
    assert.ok(verified instanceof NormalizedPassword, 'verifyLogin gets the normalised password, not the raw input');
    assert.equal(rehashed, verified, 'the rehash reuses the value normalised for the verification');
    assert.equal(verified.value, 'legacy-file-password');
    assert.ok(dummy instanceof NormalizedPassword);
    assert.equal(String(verified), '[password]');
    assert.equal(JSON.stringify({ verified }), '{"verified":"[password]"}');
  });

  it('refuses a wrong password with invalid_credentials', async () => {
    await assert.rejects(authenticator.login('alice@example.com', 'wrong-password-entirely', IP), invalidCredentials);
    assert.equal(spy.calls.verifyLogin, 1);
  });

  it('verifies an unknown account as "no hash" (the same work as a failure) and answers invalid_credentials', async () => {
    await assert.rejects(authenticator.login('nobody@example.com', PASSWORD, IP), invalidCredentials);
    assert.deepEqual(spy.calls, { verifyLogin: 1, hash: 0 });
    assert.deepEqual(spy.checked, [null]);
  });

  it('treats a disabled account like an unknown one, even with the right password', async () => {
    const bob = await store.users.findByEmail('bob@example.com');
    assert.ok(bob);
    await store.users.setDisabled(bob.id, true);
    await assert.rejects(authenticator.login('bob@example.com', PASSWORD, IP), invalidCredentials);
    assert.deepEqual(spy.calls, { verifyLogin: 1, hash: 0 });
    assert.deepEqual(spy.checked, [null], 'the right password is never checked against a disabled account');
  });

  it('gives the same error, word for word, for an unknown account and a wrong password', async () => {
    const unknown = await authenticator.login('nobody@example.com', PASSWORD, IP).catch((error: AuthError) => error);
    const wrong = await authenticator.login('alice@example.com', 'wrong-password-entirely', IP).catch((e) => e);
    assert.ok(unknown instanceof AuthError && wrong instanceof AuthError);
    assert.deepEqual(
      { code: unknown.code, status: unknown.status, message: unknown.message },
      { code: wrong.code, status: wrong.status, message: wrong.message },
    );
  });

  it('refuses a too-long password with password_too_long before any hashing or counting', async () => {
    const tooLong = 'a'.repeat(1025);
    for (let i = 0; i < 5; i++) {
      await assert.rejects(authenticator.login('alice@example.com', tooLong, IP), { code: 'password_too_long' });
    }
    assert.deepEqual(spy.calls, { verifyLogin: 0, hash: 0 });
    // Five refusals did not count as failures: the pair (limit 3) is not blocked.
    await authenticator.login('alice@example.com', PASSWORD, IP);
  });

  it('checks the limits before the password: a blocked pair is refused even with the right password, with no hashing', async () => {
    for (let i = 0; i < 3; i++) {
      await assert.rejects(authenticator.login('alice@example.com', 'wrong-password-entirely', IP), invalidCredentials);
    }
    spy.reset();
    await assert.rejects(authenticator.login('alice@example.com', PASSWORD, IP), {
      code: 'too_many_attempts',
      status: 429,
    });
    assert.deepEqual(spy.calls, { verifyLogin: 0, hash: 0 });
  });

  it("upgrades a legacy bcrypt user's hash to argon2id after a successful login", async () => {
    const original = await store.users.findByEmail('legacy@example.com');
    assert.ok(original?.passwordHash.startsWith('$2'));
    const user = await authenticator.login('legacy@example.com', PASSWORD, IP);
    assert.ok(user.passwordHash.startsWith('$argon2id$'));
    const stored = await store.users.findByEmail('legacy@example.com');
    assert.ok(stored);
    assert.ok(stored.passwordHash.startsWith('$argon2id$'), stored.passwordHash);
    assert.equal((await spy.hasher.verify(stored.passwordHash, PASSWORD)).ok, true);
    // Signing in again finds nothing left to migrate.
    spy.reset();
    await authenticator.login('legacy@example.com', PASSWORD, IP);
    assert.equal(spy.calls.hash, 0);
    assert.equal((await store.users.findByEmail('legacy@example.com'))?.passwordHash, stored.passwordHash);
  });

  it("leaves a legacy bcrypt user's hash unchanged after a failed login", async () => {
    const original = await store.users.findByEmail('legacy@example.com');
    await assert.rejects(authenticator.login('legacy@example.com', 'wrong-password-entirely', IP), invalidCredentials);
    const stored = await store.users.findByEmail('legacy@example.com');
    assert.equal(stored?.passwordHash, original?.passwordHash);
    assert.ok(stored?.passwordHash.startsWith('$2'));
    assert.equal(spy.calls.hash, 0);
  });

  it('also upgrades an argon2id hash with older parameters after a successful login', async () => {
    const alice = await store.users.findByEmail('alice@example.com');
    assert.ok(alice);
    const weaker = await PasswordHasher.create({ memoryCost: 12_288, timeCost: 3, parallelism: 1 });
    const oldHash = await weaker.hash(PASSWORD);
    await store.users.setPasswordHash(alice.id, oldHash);
    await authenticator.login('alice@example.com', PASSWORD, IP);
    const stored = await store.users.findById(alice.id);
    assert.notEqual(stored?.passwordHash, oldHash);
    assert.ok(stored);
    assert.deepEqual(await spy.hasher.verify(stored.passwordHash, PASSWORD), { ok: true, needsRehash: false });
  });
});

describe('seedDemoUsers', () => {
  let store: Store;
  let hasher: PasswordHasher;

  before(async () => {
    hasher = await PasswordHasher.create();
    store = openSqliteStore({ path: ':memory:' });
  });
  after(() => store.close());

  it('creates exactly alice, bob (user), admin (admin) and legacy (bcrypt) on an empty store', async () => {
    const created = await seedDemoUsers(store.users, hasher, PASSWORD);
    assert.deepEqual(
      created.map((user) => [user.email, user.role]),
      [
        ['alice@example.com', 'user'],
        ['bob@example.com', 'user'],
        ['admin@example.com', 'admin'],
        ['legacy@example.com', 'user'],
      ],
    );
    const users = await store.users.list();
    assert.equal(users.length, 4);
    for (const user of users) {
      if (user.email === 'legacy@example.com') assert.ok(user.passwordHash.startsWith('$2'), user.passwordHash);
      else assert.ok(user.passwordHash.startsWith('$argon2id$'), user.passwordHash);
      assert.equal((await hasher.verify(user.passwordHash, PASSWORD)).ok, true, user.email);
    }
  });

  it('does nothing on a store that already has users', async () => {
    const existing = (await store.users.list()).map((user) => [user.id, user.passwordHash]);
    assert.deepEqual(await seedDemoUsers(store.users, hasher, 'another-long-demo-password'), []);
    assert.deepEqual(
      (await store.users.list()).map((user) => [user.id, user.passwordHash]),
      existing,
    );
  });

  it('does nothing on a store whose only user is someone else', async () => {
    const other = openSqliteStore({ path: ':memory:' });
    try {
      await other.users.create({
        email: 'owner@example.com',
        role: 'admin',
        passwordHash: await legacyBcryptHash(PASSWORD, 4),
      });
      assert.deepEqual(await seedDemoUsers(other.users, hasher, PASSWORD), []);
      assert.equal(await other.users.count(), 1);
    } finally {
      await other.close();
    }
  });
});
