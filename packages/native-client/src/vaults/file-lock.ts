import { randomBytes } from 'node:crypto';
import { open, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { NativeAuthError } from '../types.ts';

export interface FileLockOptions {
  /**
   * A lock older than this is taken over even though its holder looks alive: its pid may have
   * been reused, it may be on another host (a shared home directory), or it may be stuck. No
   * holder should ever keep the lock this long. Default 10 s.
   */
  staleMs?: number | undefined;
  /** How long to wait for a lock that is neither released nor stale before `vault_locked`. Default 30 s. */
  timeoutMs?: number | undefined;
}

export interface HeldLock {
  /** Whether the lock file is still this holder's (false: it was taken over as stale). */
  isHeld(): Promise<boolean>;
  /** Removes the lock file if it is still this holder's. Never throws. */
  release(): Promise<void>;
}

/** The content of a lock file: who holds it, since when, and a token only that holder knows. */
interface LockRecord {
  pid: number;
  hostname: string;
  /** `Date.now()` of the holder when it took the lock. */
  createdAt: number;
  token: string;
}

/** A lock file as read by someone waiting for it. */
interface Observed {
  /** `undefined` while the holder is still writing it (or when it is not a lock record at all). */
  record: LockRecord | undefined;
  raw: string;
  ino: number;
  mtimeMs: number;
}

export const DEFAULT_STALE_MS = 10_000;
export const DEFAULT_LOCK_TIMEOUT_MS = 30_000;
const FIRST_BACKOFF_MS = 2;
const MAX_BACKOFF_MS = 100;

/**
 * Takes the lock file `path` across processes: created with `O_EXCL` (`wx`), mode 0600, holding
 * `{ pid, hostname, createdAt, token }`. While another holder has it, retries with a short
 * randomised exponential backoff (2 ms doubling up to 100 ms). A lock is stale, and is taken
 * over, when its holder's pid is dead on this host, or when it is older than `staleMs`; taking
 * over is itself serialised by a second `O_EXCL` file (`<path>.break`), so two waiters never both
 * remove locks and one never removes the fresh lock of the other. Rejects with `vault_locked` after
 * `timeoutMs`, or with the file system's error (no directory, no permission).
 *
 * @example
 * const lock = await acquireFileLock('/home/ada/.config/authlab/vault.json.lock');
 * try { … read, change, write … } finally { await lock.release(); }
 */
export async function acquireFileLock(path: string, options: FileLockOptions = {}): Promise<HeldLock> {
  const staleMs = options.staleMs ?? DEFAULT_STALE_MS;
  const timeoutMs = options.timeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
  const deadline = Date.now() + timeoutMs;
  let backoff = FIRST_BACKOFF_MS;
  let vanished = 0;
  for (;;) {
    const token = await tryCreate(path);
    if (token) return heldLock(path, token);
    const holder = await observe(path);
    // Gone meanwhile (released): try again at once, a few times in a row at most.
    vanished = holder ? 0 : vanished + 1;
    if (!holder && vanished <= 3) continue;
    if (holder && isStale(holder, staleMs) && (await breakStaleLock(path, holder, staleMs))) continue;
    if (Date.now() >= deadline) throw lockedError(path, holder, timeoutMs);
    await sleep(backoff + Math.random() * backoff);
    backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
  }
}

/** Creates `path` exclusively with a fresh record; its token, or `undefined` when it exists. */
async function tryCreate(path: string): Promise<string | undefined> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
    throw error;
  }
  const record: LockRecord = {
    pid: process.pid,
    hostname: hostname(),
    createdAt: Date.now(),
    token: randomBytes(12).toString('hex'),
  };
  try {
    await handle.writeFile(JSON.stringify(record), 'utf8');
    await handle.close();
  } catch (error) {
    await handle.close().catch(() => {});
    await rm(path, { force: true });
    throw error;
  }
  return record.token;
}

function heldLock(path: string, token: string): HeldLock {
  const isHeld = async () => (await observe(path))?.record?.token === token;
  return {
    isHeld,
    async release() {
      try {
        if (await isHeld()) await rm(path, { force: true });
      } catch {
        // Left behind, it is taken over once this process has exited, or after `staleMs`.
      }
    },
  };
}

/** The lock file as it is now; `undefined` when there is none. */
async function observe(path: string): Promise<Observed | undefined> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const stats = await handle.stat();
    const raw = await handle.readFile('utf8');
    return { record: parseRecord(raw), raw, ino: stats.ino, mtimeMs: stats.mtimeMs };
  } finally {
    await handle.close();
  }
}

function parseRecord(raw: string): LockRecord | undefined {
  try {
    const data = JSON.parse(raw) as Partial<LockRecord> | null;
    // A pid of 0 or below would make kill() probe a whole process group: never trust one.
    if (!data || !Number.isInteger(data.pid) || (data.pid as number) <= 0) return undefined;
    if (typeof data.hostname !== 'string' || typeof data.token !== 'string') return undefined;
    if (typeof data.createdAt !== 'number' || !Number.isFinite(data.createdAt)) return undefined;
    return data as LockRecord;
  } catch {
    return undefined;
  }
}

/**
 * Stale: the holder is a process of this host that no longer exists, or the lock is older than
 * `staleMs` (by its own timestamp, else by the file's mtime; a timestamp as far in the future
 * counts too, as after a clock change). A lock still being written is judged by its age only.
 */
function isStale(holder: Observed, staleMs: number): boolean {
  const age = Date.now() - (holder.record?.createdAt ?? holder.mtimeMs);
  if (Math.abs(age) > staleMs) return true;
  const { record } = holder;
  return record !== undefined && record.hostname === hostname() && !isAlive(record.pid);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0); // signal 0: only asks whether the process exists
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // exists, run by another user
  }
}

/**
 * Removes the stale lock `observed`, unless it changed meanwhile: under `<path>.break`, taken with
 * `O_EXCL`, it is read again, and removed only if it is the same file with the same content and
 * still stale. False when another waiter holds the breaker: this one waits its turn.
 */
async function breakStaleLock(path: string, observed: Observed, staleMs: number): Promise<boolean> {
  const breaker = `${path}.break`;
  const token = await tryCreate(breaker);
  if (!token) {
    // A breaker is held for one read and one unlink; one left by a crash is cleared the same way.
    const other = await observe(breaker);
    if (other && isStale(other, staleMs)) await rm(breaker, { force: true });
    return false;
  }
  try {
    const current = await observe(path);
    const unchanged = current?.ino === observed.ino && current.raw === observed.raw;
    if (current && unchanged && isStale(current, staleMs)) await rm(path, { force: true });
    return true;
  } finally {
    await heldLock(breaker, token).release();
  }
}

function lockedError(path: string, holder: Observed | undefined, timeoutMs: number): NativeAuthError {
  const who = holder?.record ? `process ${holder.record.pid} on ${holder.record.hostname}` : 'another process';
  return new NativeAuthError(
    'vault_locked',
    `${path} is held by ${who}, which did not let go within ${Math.round(timeoutMs / 1000)} s; try again, or if no authlab program is running, delete ${path}`,
  );
}
