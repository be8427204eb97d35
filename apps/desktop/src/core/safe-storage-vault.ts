import { readFile } from 'node:fs/promises';
import type { Vault } from '@authlab/native-client';
import { writeFileAtomic } from './atomic-file.ts';
import type { SafeStorageLike, StoragePolicy } from './storage-policy.ts';

export interface SafeStorageVaultOptions {
  safeStorage: SafeStorageLike;
  policy: StoragePolicy;
  /** The JSON file of encrypted entries, e.g. `<userData>/credentials.json`. */
  file: string;
}

interface VaultFile {
  version: 1;
  /** account → base64 of `safeStorage.encryptStringAsync(secret)`. */
  entries: Record<string, string>;
}

/**
 * The native client's `Vault` on Electron's `safeStorage`: each secret is encrypted with the OS
 * key store's key and the ciphertexts are kept in one 0600 file owned by the main process.
 * Writes and reads go through the `StoragePolicy` (no key store, or `basic_text` without the
 * person's consent, refuses); deleting always works, so signing out never fails on storage.
 *
 * @example
 * const vault = new SafeStorageVault({ safeStorage, policy, file: join(app.getPath('userData'), 'credentials.json') });
 * await vault.set('jwt:http://localhost:4000', secret);
 */
export class SafeStorageVault implements Vault {
  readonly #o: SafeStorageVaultOptions;
  /** One read-modify-write at a time: three panels may save at once. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: SafeStorageVaultOptions) {
    this.#o = options;
  }

  get kind(): string {
    return `safeStorage (${this.#o.policy.backend()})`;
  }

  get(account: string): Promise<string | null> {
    return this.#serial(async () => {
      const stored = (await this.#read()).entries[account];
      if (stored === undefined) return null;
      await this.#o.policy.requireWritable();
      const { result, shouldReEncrypt } = await this.#o.safeStorage.decryptStringAsync(Buffer.from(stored, 'base64'));
      // The key store rotated its key: store the secret again under the new one.
      if (shouldReEncrypt) await this.#put(account, result);
      return result;
    });
  }

  set(account: string, secret: string): Promise<void> {
    return this.#serial(async () => {
      await this.#o.policy.requireWritable();
      await this.#put(account, secret);
    });
  }

  delete(account: string): Promise<void> {
    return this.#serial(async () => {
      const data = await this.#read();
      if (!(account in data.entries)) return;
      delete data.entries[account];
      await this.#write(data);
    });
  }

  async #put(account: string, secret: string): Promise<void> {
    const encrypted = await this.#o.safeStorage.encryptStringAsync(secret);
    const data = await this.#read();
    data.entries[account] = encrypted.toString('base64');
    await this.#write(data);
  }

  #serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(task, task);
    this.#queue = run.catch(() => {});
    return run;
  }

  async #read(): Promise<VaultFile> {
    let text: string;
    try {
      text = await readFile(this.#o.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, entries: {} };
      throw error;
    }
    const parsed = JSON.parse(text) as Partial<VaultFile>;
    return { version: 1, entries: { ...(parsed.entries ?? {}) } };
  }

  #write(data: VaultFile): Promise<void> {
    return writeFileAtomic(this.#o.file, `${JSON.stringify(data, null, 2)}\n`);
  }
}
