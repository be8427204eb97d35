import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { NativeAuthError } from '@authlab/native-client';
import { SafeStorageVault } from '../src/core/safe-storage-vault.ts';
import { StoragePolicy } from '../src/core/storage-policy.ts';
import { FakeSafeStorage } from './support/fake-safe-storage.ts';

const ACCOUNT = 'jwt:http://127.0.0.1:4000';
const SECRET = JSON.stringify({ refreshToken: 'rt_9f1c2b7d4e5a6c8b0d1e2f3a4b5c6d7e', mode: 'jwt' });

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'authlab-desktop-storage-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function setup(backend: string, platform: NodeJS.Platform = 'linux', safeStorage = new FakeSafeStorage(backend)) {
  const policy = new StoragePolicy({ safeStorage, platform, settingsFile: join(dir, 'settings.json') });
  const file = join(dir, 'credentials.json');
  const vault = new SafeStorageVault({ safeStorage, policy, file });
  return { safeStorage, policy, vault, file };
}

const refusedWith = (code: string, words: RegExp) => (error: unknown) => {
  assert.ok(error instanceof NativeAuthError);
  assert.equal(error.code, code);
  assert.match(error.message, words);
  return true;
};

describe('storage policy and the safeStorage vault', () => {
  it('round-trips a secret whose stored bytes are ciphertext, in a file only its owner can read', async () => {
    const { vault, file, policy } = setup('gnome_libsecret');
    assert.equal((await policy.snapshot(file)).status, 'protected');
    await vault.set(ACCOUNT, SECRET);
    const stored = await readFile(file, 'utf8');
    assert.doesNotMatch(stored, /rt_9f1c2b7d/, 'the token is not in the file');
    const entry = (JSON.parse(stored) as { entries: Record<string, string> }).entries[ACCOUNT] ?? '';
    assert.notEqual(Buffer.from(entry, 'base64').toString('utf8'), SECRET);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.equal(await vault.get(ACCOUNT), SECRET);
    assert.equal(vault.kind, 'safeStorage (gnome_libsecret)');
    await vault.delete(ACCOUNT);
    assert.equal(await vault.get(ACCOUNT), null);
  });

  it('refuses basic_text without consent, shows why, and accepts it once the person agrees', async () => {
    const { vault, policy, file } = setup('basic_text');
    const before = await policy.snapshot(file);
    assert.equal(before.backend, 'basic_text');
    assert.equal(before.status, 'needs-consent');
    assert.match(before.message, /basic_text.*fixed, publicly known key/);
    await assert.rejects(vault.set(ACCOUNT, SECRET), refusedWith('storage_needs_consent', /basic_text/));
    await assert.rejects(readFile(file), { code: 'ENOENT' }, 'nothing was written');

    await policy.acceptWeakStorage();
    assert.equal((await policy.snapshot(file)).status, 'accepted-weak');
    await vault.set(ACCOUNT, SECRET);
    assert.equal(await vault.get(ACCOUNT), SECRET);
  });

  it('remembers the consent for the next start, for basic_text only', async () => {
    const first = setup('basic_text');
    await first.policy.acceptWeakStorage();
    const again = setup('basic_text');
    assert.equal(await again.policy.status(), 'accepted-weak');
    // Accepting on a real key store records nothing.
    await rm(join(dir, 'settings.json'));
    const keyring = setup('kwallet5');
    await keyring.policy.acceptWeakStorage();
    assert.equal(await setup('basic_text').policy.status(), 'needs-consent');
  });

  it('refuses to store anything when encryption is unavailable, with a clear message; wiping still works', async () => {
    const { vault, policy, safeStorage, file } = setup('gnome_libsecret');
    await vault.set(ACCOUNT, SECRET);
    safeStorage.available = false;
    const snapshot = await policy.snapshot(file);
    assert.equal(snapshot.status, 'unavailable');
    assert.match(snapshot.message, /Encryption is not available/);
    await assert.rejects(vault.set(ACCOUNT, SECRET), refusedWith('storage_unavailable', /not available/));
    await assert.rejects(vault.get(ACCOUNT), refusedWith('storage_unavailable', /not available/));
    await policy.acceptWeakStorage();
    assert.equal(await policy.status(), 'unavailable', 'consent does not make encryption appear');
    await vault.delete(ACCOUNT);
    const entries = (JSON.parse(await readFile(file, 'utf8')) as { entries: object }).entries;
    assert.deepEqual(entries, {});
  });

  it('treats an unknown backend (asked before the app was ready) as unavailable', async () => {
    const { policy, vault } = setup('unknown');
    assert.equal(await policy.status(), 'unavailable');
    await assert.rejects(vault.set(ACCOUNT, SECRET), refusedWith('storage_unavailable', /not available/));
  });

  it('uses the Keychain on macOS and DPAPI on Windows, whatever the Linux backend call would say', async () => {
    const mac = setup('basic_text', 'darwin');
    assert.deepEqual(
      { backend: mac.policy.backend(), status: await mac.policy.status() },
      { backend: 'Keychain', status: 'protected' },
    );
    const windows = setup('basic_text', 'win32');
    assert.deepEqual(
      { backend: windows.policy.backend(), status: await windows.policy.status() },
      { backend: 'DPAPI', status: 'protected' },
    );
  });

  it('re-encrypts a secret when the key store says its key was rotated', async () => {
    const { vault, safeStorage, file } = setup('gnome_libsecret');
    await vault.set(ACCOUNT, SECRET);
    const before = await readFile(file, 'utf8');
    safeStorage.rotated = true;
    assert.equal(await vault.get(ACCOUNT), SECRET);
    assert.notEqual(await readFile(file, 'utf8'), before);
    assert.equal(safeStorage.encryptions, 2);
    assert.equal(await vault.get(ACCOUNT), SECRET);
  });

  it('keeps every entry when several panels save at once', async () => {
    const { vault } = setup('gnome_libsecret');
    await Promise.all(['oidc', 'jwt', 'session'].map((mode) => vault.set(`${mode}:x`, `secret-${mode}`)));
    assert.deepEqual(await Promise.all(['oidc', 'jwt', 'session'].map((mode) => vault.get(`${mode}:x`))), [
      'secret-oidc',
      'secret-jwt',
      'secret-session',
    ]);
  });
});
