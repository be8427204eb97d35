/**
 * `pnpm lab doctor --workshop`: the extra checks before a workshop day, beyond what the labs
 * alone need: the pinned Node version, the ports the real server uses, lab 13's second loopback
 * address, an OS key store for the desktop and terminal clients (or the file vault), Electron's
 * binary, fetched while the network is there (electron-binary.ts), and one sign-in in each mode
 * on a throwaway server (smoke-sign-in.ts).
 */
import { createServer } from 'node:net';
import { which } from '@authlab/testkit';
import type { DoctorItem } from './doctor.ts';
import {
  cachedZipPath,
  downloadUrl,
  electronPackage,
  installedBinary,
  runElectronInstaller,
  zipName,
} from './electron-binary.ts';
import { pinnedNodeVersion } from './labs.ts';
import { smokeSignIns } from './smoke-sign-in.ts';

export function pinnedNodeItem(running = process.versions.node, pinned = pinnedNodeVersion()): DoctorItem {
  if (!pinned) {
    return { name: 'Pinned Node', ok: true, optional: true, detail: 'no .node-version at the repository root' };
  }
  // `24` pins a major, `24.22` a minor, `24.22.3` one release: compare as many parts as it names.
  const parts = pinned.split('.');
  const ok = running.split('.').slice(0, parts.length).join('.') === parts.join('.');
  return {
    name: 'Pinned Node',
    ok,
    detail: ok ? `${running} matches .node-version (${pinned})` : `${running} runs, .node-version pins ${pinned}`,
    fix: `install Node ${pinned} (fnm, nvm, volta and asdf all read .node-version): everyone then runs the same one`,
  };
}

/** Whether `host:port` can be listened on now (port 0: any free port on that address). */
function canListen(host: string, port: number): Promise<string | null> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    server.listen(port, host, () => server.close(() => resolve(null)));
  });
}

/** The real server's default port (PORT=4000): the README's quick start and the smoke sign-ins use it. */
export async function serverPortItem(port = 4000): Promise<DoctorItem> {
  const problem = await canListen('127.0.0.1', port);
  return {
    name: 'Server port',
    ok: problem === null,
    detail: problem === null ? `127.0.0.1:${port} is free` : `127.0.0.1:${port} is taken (${problem})`,
    fix: `stop what listens on ${port} (lsof -i :${port}; netstat -ano on Windows), or start the server with PORT=4100`,
  };
}

/** Lab 13 plays "another machine on the café wifi" with 127.0.0.2 (see its attack/another-machine.ts). */
export async function secondLoopbackItem(): Promise<DoctorItem> {
  const problem = await canListen('127.0.0.2', 0);
  return {
    name: 'Second loopback',
    ok: problem === null,
    detail: problem === null ? '127.0.0.2 answers (lab 13)' : `127.0.0.2 is not usable (${problem}); lab 13 needs it`,
    fix: 'macOS: sudo ifconfig lo0 alias 127.0.0.2 up (until the next restart)',
  };
}

/** Where the desktop and terminal clients keep refresh tokens: the OS key store, or the file vault. */
export function keyStoreItem(platform = process.platform, env = process.env): DoctorItem {
  if (platform === 'darwin' || platform === 'win32') {
    const store = platform === 'darwin' ? 'the macOS Keychain' : 'Windows DPAPI';
    return { name: 'OS key store', ok: true, detail: `${store} (always there)` };
  }
  const secretService = Boolean(env.DBUS_SESSION_BUS_ADDRESS) && which('secret-tool') !== null;
  return {
    name: 'OS key store',
    ok: secretService,
    optional: true,
    detail: secretService
      ? 'a Secret Service session (libsecret) is reachable'
      : 'no Secret Service session (no D-Bus session or no libsecret tools): the clients find no key store',
    fix: 'install gnome-keyring and libsecret-tools and sign in to a desktop session, or let participants opt into the file vault: AUTHLAB_VAULT=file',
  };
}

export interface ElectronItemOptions {
  root?: string;
  env?: NodeJS.ProcessEnv;
  /** Told how much of the zip has arrived, while Electron's installer downloads it. */
  onProgress?(bytes: number): void;
  stallMs?: number;
  pollMs?: number;
}

/** A mirror named as `https://user:password@host/` prints as `https://…@host/`: output is shared on screens. */
export const withoutCredentials = (text: string): string => text.replace(/(\b[a-z][\w+.-]*:\/\/)[^\s/@]+@/gi, '$1…@');

/**
 * Electron's binary, fetched now with Electron's own installer when it is missing (the network a
 * workshop laptop has the day before is the one to use); when that fails, what is missing and the
 * three ways to get it. Only `pnpm desktop` needs it: the labs and the terminal client do not.
 */
export async function electronItem(options: ElectronItemOptions = {}): Promise<DoctorItem> {
  const electron = electronPackage(options.root);
  if (!electron) {
    return {
      name: 'Electron',
      ok: false,
      detail: 'the electron package is not installed (apps/desktop/node_modules/electron)',
      fix: 'run `pnpm install` while online',
    };
  }
  const present = installedBinary(electron);
  if (present) return { name: 'Electron', ok: true, detail: `${electron.version} at ${present}` };
  const result = await runElectronInstaller(electron, options);
  const fetched = result.ok ? installedBinary(electron) : null;
  if (fetched) return { name: 'Electron', ok: true, detail: `${electron.version} fetched now, at ${fetched}` };
  const env = options.env ?? process.env;
  const from = downloadUrl(electron.version, env);
  if (!URL.canParse(from)) {
    // Checked before naming the cache path, which is derived from that URL.
    return {
      name: 'Electron',
      ok: false,
      detail: withoutCredentials(`ELECTRON_MIRROR does not make a URL: ${from}`),
      fix: 'name the mirror as a full URL ending in /, e.g. ELECTRON_MIRROR=https://npmmirror.com/mirrors/electron/',
    };
  }
  const reason = result.ok ? 'the installer ended but left no binary' : result.reason;
  return {
    name: 'Electron',
    ok: false,
    detail: withoutCredentials(
      `${zipName(electron.version)} (for pnpm desktop) is missing and could not be fetched from ${from}: ${reason}`,
    ),
    fix:
      'run this again on a network that reaches that address; or name a mirror that has it, e.g. ' +
      'ELECTRON_MIRROR=https://npmmirror.com/mirrors/electron/ ELECTRON_CUSTOM_DIR="{{ version }}" pnpm lab doctor --workshop; or copy ' +
      `that zip from a laptop that has it to ${cachedZipPath(electron.version, env)} and run this again ` +
      '(the labs and the terminal client do not need Electron)',
  };
}

export interface WorkshopOptions {
  /** Progress of the long steps (the Electron download, the smoke sign-ins), one line at a time. */
  report?(line: string): void;
}

export async function workshopItems(options: WorkshopOptions = {}): Promise<DoctorItem[]> {
  const report = options.report ?? (() => {});
  const items = [pinnedNodeItem(), await serverPortItem(), await secondLoopbackItem(), keyStoreItem()];
  // A line per 10 MB: a 100 MB zip over hotel wifi shows it is moving without flooding a log.
  let reported = 0;
  report("Looking for Electron's binary (fetched now with Electron's installer if missing) …");
  items.push(
    await electronItem({
      onProgress: (bytes) => {
        const tens = Math.floor(bytes / 10e6);
        if (tens <= reported) return;
        reported = tens;
        report(`  … ${tens * 10} MB downloaded`);
      },
    }),
  );
  report('Signing in once in each mode on a throwaway server …');
  items.push(...(await smokeSignIns()));
  return items;
}
