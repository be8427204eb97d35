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

function snapshot(dir: string): string {
  const parts: string[] = [];
  for (const file of readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort()) {
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
