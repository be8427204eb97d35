/**
 * `pnpm lab doctor --workshop`: the extra checks before a workshop day, beyond what the labs
 * alone need: the pinned Node version, the ports the real server uses, lab 13's second loopback
 * address, an OS key store for the desktop and terminal clients (or the file vault), and
 * Electron's binary, which can only be fetched while the network is there.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { which } from '@authlab/testkit';
import type { DoctorItem } from './doctor.ts';
import { REPO_ROOT } from './labs.ts';

/** The version in `.node-version` at the repository root (`24.22.3`, `v24`…), or null without one. */
export function pinnedNodeVersion(root = REPO_ROOT): string | null {
  try {
    return readFileSync(join(root, '.node-version'), 'utf8').trim().replace(/^v/, '') || null;
  } catch {
    return null;
  }
}

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

/** Electron downloads its binary at install time; offline, `pnpm desktop` cannot start without it. */
export function electronItem(root = REPO_ROOT): DoctorItem {
  const electron = join(root, 'apps/desktop/node_modules/electron');
  const binary = existsSync(join(electron, 'path.txt'))
    ? join(electron, 'dist', readFileSync(join(electron, 'path.txt'), 'utf8').trim())
    : null;
  const ok = binary !== null && existsSync(binary);
  return {
    name: 'Electron',
    ok,
    detail: ok ? `binary at ${binary}` : "Electron's binary was not downloaded (pnpm desktop needs it)",
    fix: 'while online: node apps/desktop/node_modules/electron/install.js',
  };
}

export async function workshopItems(): Promise<DoctorItem[]> {
  return [pinnedNodeItem(), await serverPortItem(), await secondLoopbackItem(), keyStoreItem(), electronItem()];
}
