/**
 * Calls `onChange` after files below `dir` change (debounced). Uses fs.watch; falls back to
 * polling modification times where fs.watch is unreliable or unavailable (WSL on a Windows
 * drive, network and container mounts): `--poll` or AUTHLAB_LAB_POLL=1 forces it.
 */
import { type FSWatcher, readdirSync, statSync, watch } from 'node:fs';
import { join } from 'node:path';

export interface Watcher {
  kind: 'events' | 'polling';
  close(): void;
}

const DEBOUNCE_MS = 150;
const POLL_INTERVAL_MS = 500;

/** Every file's name, modification time and size; '' when `dir` is gone (a reset removed it). */
function snapshot(dir: string): string {
  let files: string[];
  try {
    files = readdirSync(dir, { recursive: true, encoding: 'utf8' });
  } catch {
    return '';
  }
  const parts: string[] = [];
  for (const file of files.sort()) {
    try {
      const stat = statSync(join(dir, file));
      if (stat.isFile()) parts.push(`${file}:${stat.mtimeMs}:${stat.size}`);
    } catch {
      // removed between the listing and the stat: the next snapshot sees it
    }
  }
  return parts.join('|');
}

export function watchFolder(dir: string, onChange: () => void, options: { poll?: boolean } = {}): Watcher {
  let timer: NodeJS.Timeout | undefined;
  const changed = () => {
    clearTimeout(timer);
    timer = setTimeout(onChange, DEBOUNCE_MS);
  };
  if (!options.poll) {
    let watcher: FSWatcher | undefined;
    try {
      watcher = watch(dir, { recursive: true }, changed);
    } catch {
      watcher = undefined;
    }
    if (watcher) {
      // The folder itself went away (or the OS gave up on it): say so the way a change does, so
      // the caller looks and finds out, instead of an unhandled 'error' ending the process.
      watcher.on('error', changed);
      return {
        kind: 'events',
        close: () => {
          clearTimeout(timer);
          watcher.close();
        },
      };
    }
  }
  let last = snapshot(dir);
  const interval = setInterval(() => {
    const now = snapshot(dir);
    if (now !== last) {
      last = now;
      changed();
    }
  }, POLL_INTERVAL_MS);
  return {
    kind: 'polling',
    close: () => {
      clearTimeout(timer);
      clearInterval(interval);
    },
  };
}

export interface SerialRuns {
  /** Runs the task now, or once more after the run in progress; requests made meanwhile collapse into that one. */
  request(): void;
  /** Resolves once no run is in progress or queued. */
  idle(): Promise<void>;
}

/**
 * One run of `task` at a time, for "re-check on every save": a save during a run queues exactly
 * one more run (which sees every save made so far), never a run per save. A run that throws is
 * handed to `onError` and the next request runs as usual.
 */
export function serialRuns(task: () => Promise<void>, onError: (error: unknown) => void): SerialRuns {
  let chain: Promise<void> = Promise.resolve();
  let queued = false;
  return {
    request() {
      if (queued) return;
      queued = true;
      chain = chain.then(async () => {
        queued = false;
        try {
          await task();
        } catch (error) {
          onError(error);
        }
      });
    },
    idle: () => chain,
  };
}
