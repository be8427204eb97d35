export { defaultAuthlabHome } from './authlab-home.ts';
export {
  type ChooseVaultOptions,
  type ChosenVault,
  chooseVault,
  VAULT_CHOICES,
  type VaultChoice,
} from './choose-vault.ts';
export { FileVault, type FileVaultOptions } from './file-vault.ts';
export {
  DEFAULT_KEYRING_SERVICE,
  type KeyringProbeOptions,
  type KeyringProbeResult,
  KeyringVault,
  type KeyringVaultOptions,
} from './keyring-vault.ts';
export { MemoryVault } from './memory-vault.ts';
