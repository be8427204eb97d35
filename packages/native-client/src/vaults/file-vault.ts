import { randomBytes } from 'node:crypto';
import type { Stats } from 'node:fs';
import { chmod, mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { NativeAuthError, type Vault } from '../types.ts';
import { defaultAuthlabHome } from './authlab-home.ts';
import { acquireFileLock, type FileLockOptions, type HeldLock } from './file-lock.ts';

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
  /**
   * The lock `<file>.lock` that serialises changes across processes: `staleMs` (default 10 s) is
   * the age after which a lock is taken over even though its holder seems alive, `timeoutMs`
   * (default 30 s) how long a change waits for it before `vault_locked`.
   */
  lock?: FileLockOptions | undefined;
}

/** On-disk shape; `version` lets a later format be recognised instead of misread. */
interface VaultFileContent {
  version: 1;
  entries: Record<string, string>;
}

const FORMAT_VERSION = 1;
/** How often a change starts over when its lock was taken over (as stale) before it could commit. */
const COMMIT_ATTEMPTS = 3;
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
 * - Changes (`set`, `delete`) are serialised across processes, so that the CLI and the desktop
 *   app, or two CLI runs refreshing at once, never write back a stale copy over a just-rotated
 *   refresh token: each holds `<file>.lock` (created `O_EXCL`, 0600, holding pid, host and time)
 *   from reading the file to renaming the new one into place, and always removes it afterwards.
 *   Others wait with a short backoff. A lock whose process is dead, or older than `lock.staleMs`,
 *   is taken over; a change whose own lock was taken over meanwhile starts over instead of
 *   committing. Operations of one instance also run one at a time. `get` takes no lock: thanks
 *   to the rename it reads a whole file, the old one or the new one.
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
  readonly #lockFile: string;
  readonly #lockOptions: FileLockOptions;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: FileVaultOptions) {
    this.file = resolve(options.file ?? join(options.home ?? defaultAuthlabHome(), 'vault.json'));
    if (options.acknowledgeUnprotected !== true) {
      throw new NativeAuthError(
        'vault_opt_in_required',
        `the file vault would keep refresh tokens unencrypted in ${this.file}, readable by any program running as you, so it is used only on request: set AUTHLAB_VAULT=file to opt in (or use the OS key store)`,
      );
    }
    this.#lockFile = `${this.file}.lock`;
    this.#lockOptions = validLockOptions(options.lock);
    this.kind = `file (${this.file})`;
    this.warning = `the refresh token is stored in ${this.file}, readable by anything running as you; it is not protected by the OS key store`;
  }

  get(account: string): Promise<string | null> {
    return this.#serialize(async () => (await this.#read()).get(account) ?? null);
  }

  set(account: string, secret: string): Promise<void> {
    return this.#serialize(() =>
      this.#change((entries) => {
        entries.set(account, secret);
        return true;
      }),
    );
  }

  delete(account: string): Promise<void> {
    return this.#serialize(async () => {
      // Nothing to delete: no lock, and no directory created for one.
      if (!(await this.#read()).has(account)) return;
      await this.#change((entries) => entries.delete(account));
    });
  }

  /**
   * Read-modify-write under the cross-process lock: reads the file, applies `edit` (false: nothing
   * changed, nothing to write) and commits the result, all while holding `<file>.lock`.
   */
  async #change(edit: (entries: Map<string, string>) => boolean): Promise<void> {
    const directory = dirname(this.file);
    const created = await mkdir(directory, { recursive: true, mode: 0o700 });
    if (created !== undefined) await chmod(directory, 0o700); // exact, whatever the umask
    for (let attempt = 1; ; attempt++) {
      const lock = await this.#lock();
      try {
        const entries = await this.#read();
        if (!edit(entries)) return;
        if (await this.#commit(entries, lock)) return;
      } finally {
        await lock.release();
      }
      if (attempt === COMMIT_ATTEMPTS) {
        throw new NativeAuthError(
          'vault_locked',
          `${this.file} was not changed: ${COMMIT_ATTEMPTS} times in a row another process took over its lock (${this.#lockFile}) as stale before this one could write`,
        );
      }
    }
  }

  async #lock(): Promise<HeldLock> {
    try {
      return await acquireFileLock(this.#lockFile, this.#lockOptions);
    } catch (error) {
      if (error instanceof NativeAuthError) throw error;
      throw new NativeAuthError(
        'vault_unavailable',
        `${this.file} cannot be locked (${this.#lockFile}): ${(error as Error).message}`,
        { cause: error },
      );
    }
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

  /**
   * Replaces the file with `entries` (none: removes it), unless `lock` is no longer held, which
   * answers false. Write-to-temp 0600, fsync, rename, fsync the directory: the file is whole
   * before and after a crash.
   */
  async #commit(entries: Map<string, string>, lock: HeldLock): Promise<boolean> {
    const directory = dirname(this.file);
    if (entries.size === 0) {
      if (!(await lock.isHeld())) return false;
      await rm(this.file, { force: true });
      return true;
    }
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
      // Last check before the rename: a holder stalled past `staleMs` must not overwrite the file.
      if (!(await lock.isHeld())) {
        await rm(temp, { force: true });
        return false;
      }
      await rename(temp, this.file);
    } catch (error) {
      await rm(temp, { force: true });
      throw new NativeAuthError('vault_unavailable', `${this.file} cannot be written: ${(error as Error).message}`, {
        cause: error,
      });
    }
    await syncDirectory(directory);
    return true;
  }
}

function validLockOptions(lock: FileLockOptions | undefined): FileLockOptions {
  for (const name of ['staleMs', 'timeoutMs'] as const) {
    const value = lock?.[name];
    if (value !== undefined && !(value > 0 && value <= 2 ** 31 - 1))
      throw new RangeError(`invalid lock.${name} ${value}`);
  }
  return { staleMs: lock?.staleMs, timeoutMs: lock?.timeoutMs };
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
