import { randomBytes } from 'node:crypto';
import type { AsyncEntry, EntryOptions } from '@napi-rs/keyring';
import { NativeAuthError, type Vault } from '../types.ts';

type KeyringBinding = typeof import('@napi-rs/keyring');

export interface KeyringVaultOptions {
  /** The service name the OS key store files the entries under; default `authlab`. */
  service?: string | undefined;
  /** Only names the store in `kind` and in messages; default `process.platform`. */
  platform?: NodeJS.Platform | undefined;
}

export interface KeyringProbeOptions extends KeyringVaultOptions {
  /** How long the round trip may take (an unlock prompt may be waiting for a person); default 30 s. */
  timeoutMs?: number | undefined;
}

export type KeyringProbeResult = { available: true } | { available: false; reason: string };

export const DEFAULT_KEYRING_SERVICE = 'authlab';
const PROBE_ACCOUNT = 'authlab-vault-probe';
const OPT_IN = 'or opt into the file vault with AUTHLAB_VAULT=file';

/**
 * On Linux the entry is pinned to the Secret Service (gnome-keyring, KWallet, KeePassXC, … over
 * the session D-Bus). Left to itself the binding silently falls back to the kernel keyring
 * (keyutils), which lives in kernel memory and forgets every token at reboot, so it looks like a
 * random sign-out; pinned, an absent Secret Service is an error we can explain. Other platforms
 * ignore the option (macOS Keychain, Windows Credential Manager).
 */
const ENTRY_OPTIONS: EntryOptions = { linux: { store: 'secret-service' } };

let binding: Promise<KeyringBinding> | undefined;
/** Loaded on first use, so a machine without a prebuilt binary can still use the other vaults. */
const loadBinding = () => {
  binding ??= import('@napi-rs/keyring');
  return binding;
};

/**
 * Refresh tokens in the OS key store, through `@napi-rs/keyring`: the macOS Keychain, the Windows
 * Credential Manager, or the Secret Service on Linux (never the kernel keyring, see
 * `ENTRY_OPTIONS`). One entry per account under one service name.
 *
 * Every failure of the store rejects with a `NativeAuthError` code `vault_unavailable` whose
 * message says what to do; nothing ever falls back to another store. Run `KeyringVault.probe()`
 * first (`chooseVault` does) to find out before a sign-in rather than after it.
 *
 * @example
 * const probe = await KeyringVault.probe();
 * if (!probe.available) throw new Error(probe.reason);
 * const vault = new KeyringVault();
 * await vault.set('oidc:http://localhost:4000', refreshToken);
 */
export class KeyringVault implements Vault {
  readonly kind: string;
  readonly service: string;
  readonly #platform: NodeJS.Platform;

  constructor(options: KeyringVaultOptions = {}) {
    this.service = options.service ?? DEFAULT_KEYRING_SERVICE;
    this.#platform = options.platform ?? process.platform;
    this.kind = `keyring (${storeName(this.#platform)})`;
  }

  /**
   * Whether the OS key store works here, found by a set/get/delete round trip on a probe entry of
   * the same service (removed again). Never throws.
   *
   * @example
   * const probe = await KeyringVault.probe();
   * // on a headless Linux box: { available: false, reason: 'no Secret Service on the session D-Bus: …' }
   */
  static async probe(options: KeyringProbeOptions = {}): Promise<KeyringProbeResult> {
    const vault = new KeyringVault(options);
    const timeoutMs = options.timeoutMs ?? 30_000;
    // A race, not an AbortSignal: the binding does not abort a call already handed to the store.
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<KeyringProbeResult>((resolve) => {
      timer = setTimeout(() => {
        const store = storeName(vault.#platform);
        const reason = `the ${store} did not answer within ${timeoutMs} ms (an unlock prompt may be waiting): unlock it, ${OPT_IN}`;
        resolve({ available: false, reason });
      }, timeoutMs);
    });
    try {
      return await Promise.race([vault.#roundTrip(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async #roundTrip(): Promise<KeyringProbeResult> {
    const expected = `probe-${randomBytes(8).toString('hex')}`;
    try {
      await this.set(PROBE_ACCOUNT, expected);
      let actual: string | null;
      try {
        actual = await this.get(PROBE_ACCOUNT);
      } finally {
        await this.delete(PROBE_ACCOUNT).catch(() => {}); // leave nothing behind
      }
      if (actual !== expected) {
        return { available: false, reason: this.#reason('it returned a different secret than the one just stored') };
      }
      return { available: true };
    } catch (error) {
      return { available: false, reason: (error as Error).message };
    }
  }

  get(account: string): Promise<string | null> {
    return this.#withEntry(account, (entry) => entry.getPassword());
  }

  async set(account: string, secret: string): Promise<void> {
    await this.#withEntry(account, (entry) => entry.setPassword(secret));
  }

  async delete(account: string): Promise<void> {
    await this.#withEntry(account, (entry) => entry.deleteCredential()); // false: there was none
  }

  /** Runs one call of the binding; any failure (loading it included) becomes `vault_unavailable`. */
  async #withEntry<T>(account: string, call: (entry: AsyncEntry) => Promise<T>): Promise<T> {
    let Entry: KeyringBinding['AsyncEntry'];
    try {
      Entry = (await loadBinding()).AsyncEntry;
    } catch (error) {
      throw new NativeAuthError(
        'vault_unavailable',
        `the OS key store binding (@napi-rs/keyring) cannot be loaded on this machine: ${describe(error)}; opt into the file vault with AUTHLAB_VAULT=file`,
        { cause: error },
      );
    }
    try {
      // The constructor already throws when the pinned store is unreachable.
      return await call(new Entry(this.service, account, ENTRY_OPTIONS));
    } catch (error) {
      throw new NativeAuthError('vault_unavailable', this.#reason(describe(error)), { cause: error });
    }
  }

  /** A sentence for people: what is missing, how to get it, and the explicit way out. */
  #reason(detail: string): string {
    const store = storeName(this.#platform);
    if (store !== 'Secret Service') {
      return `the ${store} cannot be used (${detail}): allow authlab to use it, ${OPT_IN}`;
    }
    if (/d-?bus|org\.freedesktop\.secrets|ServiceUnknown|autolaunch/i.test(detail)) {
      return `no Secret Service on the session D-Bus: install and unlock gnome-keyring or KeePassXC, ${OPT_IN} (${detail})`;
    }
    return `the Secret Service refused access (locked, prompt dismissed, or no default keyring): unlock it in gnome-keyring or KeePassXC, ${OPT_IN} (${detail})`;
  }
}

function storeName(platform: NodeJS.Platform): string {
  if (platform === 'darwin') return 'macOS Keychain';
  if (platform === 'win32') return 'Windows Credential Manager';
  return 'Secret Service';
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
