import { readFile } from 'node:fs/promises';
import { NativeAuthError } from '@authlab/native-client';
import type { StorageSnapshot } from './api.ts';
import { writeFileAtomic } from './atomic-file.ts';

/** The part of Electron's `safeStorage` the app uses (its async API, Electron 39 and later). */
export interface SafeStorageLike {
  isAsyncEncryptionAvailable(): Promise<boolean>;
  encryptStringAsync(plainText: string): Promise<Buffer>;
  decryptStringAsync(encrypted: Buffer): Promise<{ result: string; shouldReEncrypt: boolean }>;
  /** Linux only: `gnome_libsecret`, `kwallet5`, …, `basic_text`, or `unknown` before `ready`. */
  getSelectedStorageBackend(): string;
}

/**
 * Linux's `basic_text`: no key store answered, so Chromium encrypts with a fixed key that is
 * public in its source. Encryption "works" and protects nothing (the silent fallback users of
 * other apps keep discovering too late).
 */
export const WEAK_BACKEND = 'basic_text';

export interface StoragePolicyOptions {
  safeStorage: SafeStorageLike;
  platform: NodeJS.Platform;
  /** Where the person's acceptance of weak storage is remembered (JSON). */
  settingsFile: string;
}

interface Settings {
  /** The backend the person accepted weak storage for; another backend asks again. */
  acceptedWeakBackend?: string;
}

/**
 * Decides whether credentials may be stored: encryption must be available, and on Linux the
 * `basic_text` backend is refused until the person explicitly accepts a warning (remembered in
 * the settings file, for that backend only).
 *
 * @example
 * const policy = new StoragePolicy({ safeStorage, platform: process.platform, settingsFile });
 * await policy.requireWritable(); // throws storage_needs_consent on basic_text without consent
 */
export class StoragePolicy {
  readonly #o: StoragePolicyOptions;

  constructor(options: StoragePolicyOptions) {
    this.#o = options;
  }

  /** The key store in use, in the words people know it by. */
  backend(): string {
    if (this.#o.platform === 'darwin') return 'Keychain';
    if (this.#o.platform === 'win32') return 'DPAPI';
    try {
      return this.#o.safeStorage.getSelectedStorageBackend();
    } catch {
      return 'unknown';
    }
  }

  async status(): Promise<StorageSnapshot['status']> {
    const backend = this.backend();
    let available = false;
    try {
      available = await this.#o.safeStorage.isAsyncEncryptionAvailable();
    } catch {
      available = false;
    }
    if (!available || backend === 'unknown') return 'unavailable';
    if (backend !== WEAK_BACKEND) return 'protected';
    return (await this.#readSettings()).acceptedWeakBackend === backend ? 'accepted-weak' : 'needs-consent';
  }

  async snapshot(file: string): Promise<StorageSnapshot> {
    const backend = this.backend();
    const status = await this.status();
    return { backend, status, message: describe(status, backend), file };
  }

  /** Throws `storage_needs_consent` or `storage_unavailable` unless credentials may be written. */
  async requireWritable(): Promise<void> {
    const status = await this.status();
    if (status === 'unavailable') {
      throw new NativeAuthError('storage_unavailable', describe(status, this.backend()));
    }
    if (status === 'needs-consent') {
      throw new NativeAuthError('storage_needs_consent', describe(status, this.backend()));
    }
  }

  /** The person accepted the warning: weak storage is allowed for the current backend. */
  async acceptWeakStorage(): Promise<void> {
    const backend = this.backend();
    if (backend !== WEAK_BACKEND) return;
    const settings = await this.#readSettings();
    await writeFileAtomic(this.#o.settingsFile, `${JSON.stringify({ ...settings, acceptedWeakBackend: backend })}\n`);
  }

  async #readSettings(): Promise<Settings> {
    try {
      const parsed: unknown = JSON.parse(await readFile(this.#o.settingsFile, 'utf8'));
      return parsed && typeof parsed === 'object' ? (parsed as Settings) : {};
    } catch {
      return {};
    }
  }
}

function describe(status: StorageSnapshot['status'], backend: string): string {
  switch (status) {
    case 'protected':
      return backend === 'Keychain'
        ? 'Sign-ins are encrypted with a key kept in the macOS Keychain.'
        : backend === 'DPAPI'
          ? 'Sign-ins are encrypted with DPAPI, tied to your Windows account.'
          : `Sign-ins are encrypted with a key kept in your desktop's key store (${backend}).`;
    case 'accepted-weak':
      return 'You accepted weak storage (basic_text): saved sign-ins are only obfuscated, and anyone who can read your files can use them.';
    case 'needs-consent':
      return 'No key store answered (Linux backend basic_text): Electron would encrypt with a fixed, publicly known key, which protects nothing. Sign-ins are refused until you accept this.';
    case 'unavailable':
      return 'Encryption is not available (no key store answered), so the app keeps no sign-in.';
  }
}
