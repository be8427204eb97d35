import type { Vault } from '../types.ts';

/**
 * A vault that forgets everything when the process ends: for tests, and for runs that must leave
 * nothing behind (`AUTHLAB_VAULT=memory`: every run signs in again).
 *
 * @example
 * const vault = new MemoryVault();
 * await vault.set('oidc:http://localhost:4000', refreshToken);
 * await vault.get('oidc:http://localhost:4000'); // → refreshToken
 */
export class MemoryVault implements Vault {
  readonly kind = 'memory';
  readonly #entries = new Map<string, string>();

  async get(account: string): Promise<string | null> {
    return this.#entries.get(account) ?? null;
  }

  async set(account: string, secret: string): Promise<void> {
    this.#entries.set(account, secret);
  }

  async delete(account: string): Promise<void> {
    this.#entries.delete(account);
  }
}
