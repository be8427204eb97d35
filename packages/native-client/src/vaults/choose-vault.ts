import { NativeAuthError, type Vault } from '../types.ts';
import { defaultAuthlabHome, type Env } from './authlab-home.ts';
import { FileVault } from './file-vault.ts';
import { KeyringVault } from './keyring-vault.ts';
import { MemoryVault } from './memory-vault.ts';

export const VAULT_CHOICES = ['keyring', 'file', 'memory'] as const;
export type VaultChoice = (typeof VAULT_CHOICES)[number];

export interface ChooseVaultOptions {
  /** Where `AUTHLAB_VAULT` (and, without `home`, `AUTHLAB_HOME`) are read; default `process.env`. */
  env?: Env | undefined;
  /** The directory of the file vault; default `defaultAuthlabHome(env, platform)`. */
  home?: string | undefined;
  platform?: NodeJS.Platform | undefined;
  /** The key store's service name; default `authlab`. */
  service?: string | undefined;
}

/** A vault, and the line to show people while it is in use, where it deserves one. */
export type ChosenVault = Vault & { readonly warning?: string };

/**
 * The vault the person asked for with `AUTHLAB_VAULT`:
 *
 * - `keyring` (the default): the OS key store, probed first; when it is unusable this rejects
 *   with `vault_unavailable` saying why and how to opt into the file vault. It never falls back
 *   to a file by itself.
 * - `file`: `<home>/vault.json`; setting the variable is the opt-in the file vault requires. Show
 *   its `warning`.
 * - `memory`: nothing is kept after the process ends.
 *
 * Any other value rejects with `vault_unknown`, listing the choices.
 *
 * @example
 * const vault = await chooseVault({ env: process.env });
 * if (vault.warning) console.error(`warning: ${vault.warning}`);
 */
export async function chooseVault(options: ChooseVaultOptions = {}): Promise<ChosenVault> {
  const env = options.env ?? process.env;
  const choice = parseVaultChoice(env.AUTHLAB_VAULT);
  if (choice === 'memory') return new MemoryVault();
  if (choice === 'file') {
    const home = options.home ?? defaultAuthlabHome(env, options.platform);
    return new FileVault({ home, acknowledgeUnprotected: true });
  }
  const keyring = { service: options.service, platform: options.platform };
  const probe = await KeyringVault.probe(keyring);
  if (!probe.available) throw new NativeAuthError('vault_unavailable', probe.reason);
  return new KeyringVault(keyring);
}

function parseVaultChoice(value: string | undefined): VaultChoice {
  const choice = (value ?? '').trim().toLowerCase() || 'keyring';
  if ((VAULT_CHOICES as readonly string[]).includes(choice)) return choice as VaultChoice;
  throw new NativeAuthError(
    'vault_unknown',
    `AUTHLAB_VAULT=${value} is not a vault: choose one of ${VAULT_CHOICES.join(', ')} (keyring is the OS key store and the default; file keeps tokens unencrypted in a file; memory keeps nothing)`,
  );
}
