import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AppSnapshot, Mode, PanelSnapshot } from '../../src/core/api.ts';
import { createDesktopCore, type DesktopCore, type DesktopCoreOptions } from '../../src/core/desktop-core.ts';
import { FakeSafeStorage } from './fake-safe-storage.ts';

export interface TestCore {
  core: DesktopCore;
  safeStorage: FakeSafeStorage;
  userDataDir: string;
  /** The most recent snapshot pushed to subscribers. */
  latest(): AppSnapshot;
  /** Resolves with the first pushed panel state that satisfies `test` (or the current one). */
  panelWhen(mode: Mode, test: (panel: PanelSnapshot) => boolean): Promise<PanelSnapshot>;
  close(): Promise<void>;
}

/**
 * The desktop core as the main process builds it, with a fake safeStorage, a temporary
 * userData folder and whatever else the test injects (openExternal above all).
 */
export async function startTestCore(
  options: Partial<DesktopCoreOptions> & { server: string; safeStorage?: FakeSafeStorage },
): Promise<TestCore> {
  const userDataDir = options.userDataDir ?? (await mkdtemp(join(tmpdir(), 'authlab-desktop-core-')));
  const safeStorage = options.safeStorage ?? new FakeSafeStorage();
  const core = createDesktopCore({
    platform: 'linux',
    openExternal: async () => {
      throw new Error('this test opens no browser');
    },
    ...options,
    userDataDir,
    safeStorage,
  });
  let latest = core.snapshot();
  const waiters = new Set<() => void>();
  core.subscribe((snapshot) => {
    latest = snapshot;
    for (const wake of waiters) wake();
  });
  return {
    core,
    safeStorage,
    userDataDir,
    latest: () => latest,
    panelWhen: (mode, test) =>
      new Promise((resolve) => {
        const check = () => {
          const panel = core.snapshot().panels[mode];
          if (!test(panel)) return false;
          waiters.delete(wake);
          resolve(panel);
          return true;
        };
        const wake = () => void check();
        waiters.add(wake);
        check();
      }),
    close: async () => {
      core.close();
      if (!options.userDataDir) await rm(userDataDir, { recursive: true, force: true });
    },
  };
}
