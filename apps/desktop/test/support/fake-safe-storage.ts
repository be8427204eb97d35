import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { SafeStorageLike } from '../../src/core/storage-policy.ts';

/**
 * Electron's `safeStorage` as the tests need it: real encryption (AES-256-GCM under a key of
 * its own, as the OS key store would hold), a backend name to choose, availability to switch
 * off, and a key rotation to ask for re-encryption.
 */
export class FakeSafeStorage implements SafeStorageLike {
  backend: string;
  available = true;
  /** Set to make the next decryption report `shouldReEncrypt` (a rotated key). */
  rotated = false;
  encryptions = 0;
  readonly #key = randomBytes(32);

  constructor(backend = 'gnome_libsecret') {
    this.backend = backend;
  }

  getSelectedStorageBackend(): string {
    return this.backend;
  }

  async isAsyncEncryptionAvailable(): Promise<boolean> {
    return this.available;
  }

  async encryptStringAsync(plainText: string): Promise<Buffer> {
    if (!this.available) throw new Error('Encryption is not available.');
    this.encryptions++;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    const body = Buffer.concat([cipher.update(plainText, 'utf8'), cipher.final()]);
    return Buffer.concat([Buffer.from('v11'), iv, cipher.getAuthTag(), body]);
  }

  async decryptStringAsync(encrypted: Buffer): Promise<{ result: string; shouldReEncrypt: boolean }> {
    if (!this.available) throw new Error('Decryption is not available.');
    const iv = encrypted.subarray(3, 15);
    const tag = encrypted.subarray(15, 31);
    const decipher = createDecipheriv('aes-256-gcm', this.#key, iv);
    decipher.setAuthTag(tag);
    const result = Buffer.concat([decipher.update(encrypted.subarray(31)), decipher.final()]).toString('utf8');
    const shouldReEncrypt = this.rotated;
    this.rotated = false;
    return { result, shouldReEncrypt };
  }
}
