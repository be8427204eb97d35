/**
 * The runner's scratch copies inside a lab folder (where the packages the code imports resolve):
 * `.round-<pid>-XXXXXX`, a round's snapshot of `work/`, and `.cheat-<pid>-XXXXXX`, a wrong fix
 * applied by `pnpm lab verify`. The pid in the name records whose copy it is, so that:
 *
 * - an interrupted runner (Ctrl-C, SIGTERM) removes its own copies on the way out;
 * - a runner killed outright (SIGKILL, a closed laptop lid, a crash) leaves copies that the next
 *   `pnpm lab` removes, once their owner is gone, and never the copies of a runner still going.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

export type ScratchKind = 'round' | 'cheat';

const SCRATCH_NAME = /^\.(round|cheat)-(?:(\d+)-)?/;
/**
 * Copies named before the pid was recorded have no known owner; one this old cannot belong to a
 * round still going (a round takes minutes), so it is removed.
 */
export const UNOWNED_SCRATCH_MAX_AGE_MS = 24 * 3600 * 1000;

const live = new Set<string>();
let exitHookInstalled = false;

/** Removes this process's copies as it exits (normally, by process.exit, or via onSignalExit). */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const dir of live) rmSync(dir, { recursive: true, force: true });
  });
}

/** A new, empty scratch folder in `labDir`, named for this process and removed when it exits. */
export function makeScratchDir(labDir: string, kind: ScratchKind): string {
  installExitHook();
  const dir = mkdtempSync(join(labDir, `.${kind}-${process.pid}-`));
  live.add(dir);
  return dir;
}

export function removeScratchDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  live.delete(dir);
}

/** Whether a process with this id exists (EPERM: it does, it is someone else's). */
export function processIsRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the scratch copies in `labsDir/<lab>/` whose owning process is gone, and the unowned
 * ones older than a day; returns the folders it removed. A pid taken over by a new process keeps
 * its copies until that one ends too: the safe side.
 */
export function removeStaleScratchDirs(
  labsDir: string,
  options: { isRunning?: (pid: number) => boolean; now?: number } = {},
): string[] {
  const isRunning = options.isRunning ?? processIsRunning;
  const now = options.now ?? Date.now();
  const removed: string[] = [];
  let labs: string[];
  try {
    labs = readdirSync(labsDir);
  } catch {
    return removed;
  }
  for (const lab of labs) {
    let entries: string[];
    try {
      entries = readdirSync(join(labsDir, lab));
    } catch {
      continue; // a file, not a lab folder
    }
    for (const entry of entries) {
      const name = SCRATCH_NAME.exec(entry);
      if (!name) continue;
      const dir = join(labsDir, lab, entry);
      const pid = name[2] ? Number(name[2]) : null;
      const age = now - (statSync(dir, { throwIfNoEntry: false })?.mtimeMs ?? now);
      const stale = pid === null ? age > UNOWNED_SCRATCH_MAX_AGE_MS : !isRunning(pid);
      if (!stale) continue;
      rmSync(dir, { recursive: true, force: true });
      removed.push(dir);
    }
  }
  return removed;
}

/**
 * For a command with no signal handling of its own: Ctrl-C or SIGTERM then ends the process the
 * usual way (exit code 128 + signal number) but through process.exit, so the exit hook removes
 * this process's copies. A command that handles the signal itself (`start`, `board`) is left alone.
 */
export function exitCleanlyOnSignals(): void {
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    process.on(signal, () => {
      if (process.listenerCount(signal) === 1) process.exit(code);
    });
  }
}
