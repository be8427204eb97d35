/**
 * Progress, per learner and machine, in a gitignored JSON file (`.lab-progress.json` at the
 * repository root, or `$AUTHLAB_LAB_STATE`). A solve in it counts only with the runner's proof
 * (solve-proof.ts), so editing the file cannot mark a lab solved. Written whole to a temporary file and renamed, so an
 * interrupted write never leaves half a file; each read-modify-write holds `<file>.lock`, so two
 * commands at once (`pnpm lab start` recording a round while `pnpm lab hint` counts a hint in
 * another terminal) never undo each other's change.
 */
import { closeSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './labs.ts';
import { isGenuineSolve, type SolveProof, solveKey } from './solve-proof.ts';

export interface LabProgress {
  startedAt?: string;
  solvedAt?: string;
  /** Made by the runner that verified the solve; without a valid one `solvedAt` counts for nothing. */
  proof?: SolveProof;
  /** How many hint tiers the learner has asked for. */
  hintsSeen: number;
}

export type Progress = Record<string, LabProgress>;

export const stateFile = (): string => process.env.AUTHLAB_LAB_STATE ?? join(REPO_ROOT, '.lab-progress.json');

export function readProgress(): Progress {
  try {
    const parsed = JSON.parse(readFileSync(stateFile(), 'utf8'));
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Progress) : {};
  } catch {
    return {};
  }
}

/** Whether the lab's solve was recorded by this participant's runner (see solve-proof.ts). */
export function isSolved(id: string, progress: Progress = readProgress()): boolean {
  return isGenuineSolve(solveKey(), id, progress[id]);
}

function writeProgress(all: Progress): void {
  const file = stateFile();
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(all, null, 2)}\n`);
  renameSync(temporary, file);
}

/** A lock no command holds for more than a few milliseconds; one this old was left by a crash. */
const LOCK_STALE_MS = 10_000;
const LOCK_WAIT_MS = 5_000;

function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Whether the lock file was left behind: its holder is dead, or it is older than any holder. */
function isStale(lock: string): boolean {
  try {
    const pid = Number(readFileSync(lock, 'utf8'));
    if (Date.now() - statSync(lock).mtimeMs > LOCK_STALE_MS) return true;
    if (!Number.isInteger(pid) || pid <= 0) return false; // still being written
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Runs `change` holding `<state file>.lock` (created with O_EXCL, holding the pid). Commands wait
 * their turn; a lock whose holder died is taken over.
 */
function withLock<T>(change: () => T): T {
  const lock = `${stateFile()}.lock`;
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      const fd = openSync(lock, 'wx');
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if (isStale(lock)) rmSync(lock, { force: true });
    else if (Date.now() > deadline) {
      throw new Error(`${lock} is held by another pnpm lab command: try again, or delete it if none is running`);
    } else pause(5);
  }
  try {
    return change();
  } finally {
    rmSync(lock, { force: true });
  }
}

export function updateProgress(id: string, change: (progress: LabProgress) => LabProgress | null): LabProgress | null {
  return withLock(() => {
    const all = readProgress();
    const next = change(all[id] ?? { hintsSeen: 0 });
    if (next) all[id] = next;
    else delete all[id];
    writeProgress(all);
    return next;
  });
}

export function clearProgress(): void {
  withLock(() => writeProgress({}));
}
