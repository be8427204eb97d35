/**
 * Electron's binary, which `pnpm desktop` needs and which the `electron` package downloads from
 * GitHub (not from the npm registry) when it is installed. A workshop laptop must get it while the
 * network is there: this finds it, or runs Electron's own installer (`electron/install.js`, built
 * on `@electron/get`: the mirror variables, the checksums and the cache all work as documented),
 * and when the download cannot happen says what is missing and the ways to get it.
 *
 * Nothing here loads the `electron` package itself (its entry looks for the binary and throws).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { REPO_ROOT } from './labs.ts';

export interface ElectronPackage {
  /** The installed `electron` package's folder (the real one, behind pnpm's links). */
  dir: string;
  version: string;
}

/** The `electron` package the desktop app depends on, or null when it is not installed. */
export function electronPackage(root = REPO_ROOT): ElectronPackage | null {
  try {
    const dir = realpathSync(join(root, 'apps/desktop/node_modules/electron'));
    const { version } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string };
    return { dir, version };
  } catch {
    return null;
  }
}

/** The binary install.js put in `dist/` (named by `path.txt`), when it is there and of this version. */
export function installedBinary(electron: ElectronPackage): string | null {
  try {
    const binary = join(electron.dir, 'dist', readFileSync(join(electron.dir, 'path.txt'), 'utf8').trim());
    const version = readFileSync(join(electron.dir, 'dist', 'version'), 'utf8')
      .trim()
      .replace(/^v/, '');
    return version === electron.version && existsSync(binary) ? binary : null;
  } catch {
    return null;
  }
}

/** `electron-v45.5.0-linux-x64.zip`: the file the installer downloads. */
export const zipName = (version: string, platform = process.platform, arch = process.arch) =>
  `electron-v${version}-${platform}-${arch}.zip`;

const GITHUB_RELEASES = 'https://github.com/electron/electron/releases/download/';

/** Where the installer downloads the zip from: `ELECTRON_MIRROR` (+ `ELECTRON_CUSTOM_DIR`) or GitHub. */
export function downloadUrl(version: string, env: NodeJS.ProcessEnv = process.env): string {
  const mirror = env.npm_config_electron_mirror || env.ELECTRON_MIRROR || GITHUB_RELEASES;
  const dir = (env.ELECTRON_CUSTOM_DIR || `v${version}`).replace('{{ version }}', version);
  return `${mirror}${dir}/${env.ELECTRON_CUSTOM_FILENAME || zipName(version)}`;
}

/**
 * Where `@electron/get` looks for the zip before downloading it: `<cache>/<sha256 of the URL's
 * folder>/<zip>` (its Cache.getCachePath), the cache being `electron_config_cache` or the OS's.
 * A zip copied there from another laptop is used offline (its checksum is still verified).
 */
export function cachedZipPath(version: string, env: NodeJS.ProcessEnv = process.env, platform = process.platform) {
  const url = new URL(downloadUrl(version, env));
  url.hash = '';
  url.search = '';
  const file = posix.basename(url.pathname);
  url.pathname = posix.dirname(url.pathname);
  const folder = createHash('sha256').update(url.toString()).digest('hex');
  return join(electronCacheRoot(env, platform), folder, file);
}

function electronCacheRoot(env: NodeJS.ProcessEnv, platform: string): string {
  if (env.electron_config_cache) return env.electron_config_cache;
  if (platform === 'darwin') return join(homedir(), 'Library', 'Caches', 'electron');
  if (platform === 'win32') return join(env.LOCALAPPDATA || join(homedir(), 'AppData', 'Local'), 'electron', 'Cache');
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'electron');
}

export type InstallResult = { ok: true } | { ok: false; reason: string };

export interface InstallOptions {
  env?: NodeJS.ProcessEnv;
  /** Bytes downloaded so far, reported while they grow. */
  onProgress?(bytes: number): void;
  /** No new byte for this long: the download is given up (a captive portal, a dead proxy). */
  stallMs?: number;
  pollMs?: number;
}

/** Bytes of every file below `dir` (the installer's temporary download). */
function bytesBelow(dir: string): number {
  let total = 0;
  try {
    for (const entry of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
      const stat = statSync(join(dir, entry), { throwIfNoEntry: false });
      if (stat?.isFile()) total += stat.size;
    }
  } catch {
    // the installer moved or removed it meanwhile
  }
  return total;
}

/**
 * Runs Electron's installer (`node install.js` in the package's folder) and waits for it. Its
 * temporary folder is one of ours, so the download's growth can be reported and a stalled one
 * stopped; what it prints on failure becomes the reason.
 */
export function runElectronInstaller(electron: ElectronPackage, options: InstallOptions = {}): Promise<InstallResult> {
  const { stallMs = 120_000, pollMs = 1_000 } = options;
  const temp = mkdtempSync(join(tmpdir(), 'authlab-electron-'));
  const child = spawn(process.execPath, [join(electron.dir, 'install.js')], {
    cwd: electron.dir,
    // os.tmpdir() reads TMPDIR (POSIX) and TEMP/TMP (Windows).
    env: { ...(options.env ?? process.env), TMPDIR: temp, TEMP: temp, TMP: temp, ELECTRON_GET_NO_PROGRESS: '1' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  let stalled = false;
  let last = 0;
  let lastChange = Date.now();
  const poll = setInterval(() => {
    const bytes = bytesBelow(temp);
    if (bytes !== last) {
      last = bytes;
      lastChange = Date.now();
      options.onProgress?.(bytes);
    } else if (Date.now() - lastChange > stallMs) {
      stalled = true;
      child.kill('SIGKILL');
    }
  }, pollMs);
  // The doctor interrupted (Ctrl-C, SIGTERM): the download stops with it and leaves nothing behind.
  const onExit = () => {
    child.kill('SIGKILL');
    rmSync(temp, { recursive: true, force: true });
  };
  process.once('exit', onExit);
  return new Promise((resolve) => {
    const done = (result: InstallResult) => {
      clearInterval(poll);
      process.off('exit', onExit);
      rmSync(temp, { recursive: true, force: true });
      resolve(result);
    };
    child.once('error', (error) => done({ ok: false, reason: `the installer could not be started: ${error.message}` }));
    child.once('exit', (code) => {
      if (code === 0) return done({ ok: true });
      if (stalled) return done({ ok: false, reason: `nothing arrived for ${Math.round(stallMs / 1000)} s` });
      done({ ok: false, reason: explainInstallFailure(stderr) });
    });
  });
}

/** What went wrong, from what the installer printed, in words a participant can act on. */
export function explainInstallFailure(stderr: string): string {
  const status = /Response code (\d{3})/.exec(stderr)?.[1];
  if (status) return `the download server answered HTTP ${status}${status === '404' ? ' (no such file there)' : ''}`;
  if (/checksum/i.test(stderr))
    return "the file downloaded is not the real one: its SHA-256 is not Electron's published one";
  if (/fetch failed|ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|certificate/i.test(stderr)) {
    return 'the download server could not be reached (offline, a firewall, or a proxy)';
  }
  // install.js prints the error's stack: its first line is the message.
  const message = stderr.split('\n').find((line) => line.trim()) ?? 'no message';
  return `the installer failed: ${message.trim().slice(0, 200)}`;
}
