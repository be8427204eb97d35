import { randomBytes } from 'node:crypto';
import type { Stats } from 'node:fs';
import { chmod, mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { NativeAuthError, type Vault } from '../types.ts';
import { defaultAuthlabHome } from './authlab-home.ts';

export interface FileVaultOptions {
  /**
   * Must be `true`: the caller states that the person chose an unprotected file (for example with
   * `AUTHLAB_VAULT=file`), because nothing but file permissions guards it.
   */
  acknowledgeUnprotected: boolean;
  /** The directory of `vault.json`; default `defaultAuthlabHome()` (`AUTHLAB_HOME`, else the OS config dir). */
  home?: string | undefined;
  /** The vault file itself, when it should not be `<home>/vault.json`. */
  file?: string | undefined;
}

/** On-disk shape; `version` lets a later format be recognised instead of misread. */
interface VaultFileContent {
  version: 1;
  entries: Record<string, string>;
}

const FORMAT_VERSION = 1;
/** Group and other permission bits: any of them set means someone else may read or swap the file. */
const NOT_OWNER_ONLY = 0o077;
const posixPermissions = process.platform !== 'win32';

/**
 * Refresh tokens in one JSON file (`{ version, entries: { <account>: <secret> } }`), for machines
 * without a usable OS key store, and only when the person opted in: it is the "plaintext
 * fallback" users complain about when it happens silently (gh, Electron's `basic_text`), so
 * here it never happens silently.
 *
 * - The directory is created 0700 and the file written 0600, through a temporary file in the same
 *   directory, fsync and rename: a crash leaves the old file or the new one, never half of one.
 * - A vault file that is group- or world-accessible, or owned by another user, is **refused**
 *   (code `vault_insecure`), for reads and writes alike, and left as it is: the token in it may
 *   already have been read, so the person should know rather than have it quietly re-chmod'ed
 *   (the rule `ssh` applies to private keys). On Windows, where mode bits mean little, the file
 *   relies on the per-user ACL of `%APPDATA%` instead.
 * - A file that is not a vault (bad JSON, wrong shape, another format version) is refused with
 *   code `vault_corrupt` naming it, never reset: resetting would sign people out without a word.
 * - Removing the last entry removes the file.
 * - Operations of one instance run one at a time, so concurrent `set`s lose nothing. Separate
 *   processes sharing the file are not locked against each other.
 *
 * @example
 * const vault = new FileVault({ home: '/home/ada/.config/authlab', acknowledgeUnprotected: true });
 * console.error(vault.warning);
 * await vault.set('jwt:http://localhost:4000', refreshToken);
 */
export class FileVault implements Vault {
  readonly kind: string;
  /** The absolute path of the vault file. */
  readonly file: string;
  /** One line for CLIs and the desktop app to show whenever this vault is in use. */
  readonly warning: string;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: FileVaultOptions) {
    this.file = resolve(options.file ?? join(options.home ?? defaultAuthlabHome(), 'vault.json'));
    if (options.acknowledgeUnprotected !== true) {
      throw new NativeAuthError(
        'vault_opt_in_required',
        `the file vault would keep refresh tokens unencrypted in ${this.file}, readable by any program running as you, so it is used only on request: set AUTHLAB_VAULT=file to opt in (or use the OS key store)`,
      );
    }
    this.kind = `file (${this.file})`;
    this.warning = `the refresh token is stored in ${this.file}, readable by anything running as you; it is not protected by the OS key store`;
  }

  get(account: string): Promise<string | null> {
    return this.#serialize(async () => (await this.#read()).get(account) ?? null);
  }

  set(account: string, secret: string): Promise<void> {
    return this.#serialize(async () => {
      const entries = await this.#read();
      entries.set(account, secret);
      await this.#write(entries);
    });
  }

  delete(account: string): Promise<void> {
    return this.#serialize(async () => {
      const entries = await this.#read();
      if (!entries.delete(account)) return;
      if (entries.size === 0) await rm(this.file, { force: true });
      else await this.#write(entries);
    });
  }

  #serialize<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.#queue.then(operation, operation);
    this.#queue = result.catch(() => {});
    return result;
  }

  /** The entries of the file; none when it does not exist yet. */
  async #read(): Promise<Map<string, string>> {
    let handle: Awaited<ReturnType<typeof open>>;
    try {
      handle = await open(this.file, 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
      throw unreadable(this.file, error);
    }
    let text: string;
    try {
      // fstat on the open handle: the permissions checked are those of the bytes read.
      this.#assertPrivate(await handle.stat());
      text = await handle.readFile('utf8');
    } catch (error) {
      throw error instanceof NativeAuthError ? error : unreadable(this.file, error);
    } finally {
      await handle.close();
    }
    return parseVaultFile(this.file, text);
  }

  #assertPrivate(stats: Stats): void {
    if (!stats.isFile()) throw corrupt(this.file, 'it is not a regular file');
    if (!posixPermissions) return;
    const uid = process.getuid?.();
    if (uid !== undefined && stats.uid !== uid) {
      throw new NativeAuthError(
        'vault_insecure',
        `${this.file} belongs to another user (uid ${stats.uid}), so its tokens cannot be trusted: delete it and sign in again`,
      );
    }
    const mode = stats.mode & 0o777;
    if ((mode & NOT_OWNER_ONLY) !== 0) {
      throw new NativeAuthError(
        'vault_insecure',
        `${this.file} is accessible to other users (mode ${mode.toString(8).padStart(4, '0')}), so the refresh token in it may have been read: run \`chmod 600 ${this.file}\` to keep using it, or delete it, sign in again and sign out the old session`,
      );
    }
  }

  /** Write-to-temp, fsync, rename, fsync the directory: the file is whole before and after a crash. */
  async #write(entries: Map<string, string>): Promise<void> {
    const directory = dirname(this.file);
    const created = await mkdir(directory, { recursive: true, mode: 0o700 });
    if (created !== undefined) await chmod(directory, 0o700); // exact, whatever the umask
    const content: VaultFileContent = { version: FORMAT_VERSION, entries: Object.fromEntries(entries) };
    const temp = join(directory, `.${basename(this.file)}.${randomBytes(6).toString('hex')}.tmp`);
    try {
      const handle = await open(temp, 'wx', 0o600);
      try {
        await handle.chmod(0o600);
        await handle.writeFile(`${JSON.stringify(content, null, 2)}\n`, 'utf8');
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, this.file);
    } catch (error) {
      await rm(temp, { force: true });
      throw new NativeAuthError('vault_unavailable', `${this.file} cannot be written: ${(error as Error).message}`, {
        cause: error,
      });
    }
    await syncDirectory(directory);
  }
}

/** Makes the rename itself durable; directories cannot be fsync'ed on Windows, where this is skipped. */
async function syncDirectory(directory: string): Promise<void> {
  if (!posixPermissions) return;
  const handle = await open(directory, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function parseVaultFile(file: string, text: string): Map<string, string> {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw corrupt(file, `it is not valid JSON (${(error as Error).message})`);
  }
  if (!isObject(data) || !('version' in data)) throw corrupt(file, 'it has no "version"');
  if (data.version !== FORMAT_VERSION) {
    throw corrupt(file, `its format version is ${JSON.stringify(data.version)}, this authlab reads ${FORMAT_VERSION}`);
  }
  if (!('entries' in data) || !isObject(data.entries)) throw corrupt(file, '"entries" is not an object');
  // A Map, not an object: an account named `__proto__` stays an ordinary key.
  const entries = new Map<string, string>();
  for (const [account, secret] of Object.entries(data.entries)) {
    if (typeof secret !== 'string') throw corrupt(file, `the entry ${JSON.stringify(account)} is not a string`);
    entries.set(account, secret);
  }
  return entries;
}

const isObject = (value: unknown): value is object =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const corrupt = (file: string, why: string) =>
  new NativeAuthError(
    'vault_corrupt',
    `${file} is not a readable authlab vault: ${why}. It was left untouched: repair it, or delete it and sign in again`,
  );

const unreadable = (file: string, error: unknown) =>
  new NativeAuthError('vault_unavailable', `${file} cannot be read: ${(error as Error).message}`, { cause: error });
