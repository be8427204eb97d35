/**
 * Finding Electron's binary by path, and fetching it where it is missing. Electron's npm package
 * downloads its binary on first use (and pnpm runs no install scripts we did not allow), so
 * nothing here ever `require`s the package: that would start a download nobody asked for.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** The one sentence people see when there is no Electron to run. */
export const MISSING_ELECTRON =
  "Electron's binary is not installed and cannot be downloaded here: on a machine with internet run `pnpm install && pnpm desktop`, or point ELECTRON_OVERRIDE_DIST_PATH at an unpacked Electron.";

export type Env = Record<string, string | undefined>;

/** The executable inside an unpacked Electron, per platform (as Electron's own installer names it). */
export function executableIn(platform: NodeJS.Platform): string {
  if (platform === 'darwin') return 'Electron.app/Contents/MacOS/Electron';
  if (platform === 'win32') return 'electron.exe';
  return 'electron';
}

/** The `electron` npm package's folder, found without running its code. */
export function electronPackageDir(): string {
  const require = createRequire(import.meta.url);
  return dirname(require.resolve('electron/package.json'));
}

/** The Electron version this app is built against. */
export function electronVersion(packageDir = electronPackageDir()): string {
  return (JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { version: string }).version;
}

export interface FindOptions {
  env: Env;
  packageDir: string;
  platform?: NodeJS.Platform;
}

/**
 * The unpacked Electron's folder and its executable: `ELECTRON_OVERRIDE_DIST_PATH` when set (and
 * then only there), else the package's own `dist/`. Null when there is no binary.
 */
export function findElectron(options: FindOptions): { distDir: string; executable: string } | null {
  const distDir = options.env.ELECTRON_OVERRIDE_DIST_PATH || join(options.packageDir, 'dist');
  const executable = join(distDir, executableIn(options.platform ?? process.platform));
  return existsSync(executable) ? { distDir, executable } : null;
}

/**
 * Runs Electron's own installer (`install.js`: download, checksum, unzip into `dist/`), quietly,
 * for at most `timeoutMs`. True when it finished without error.
 */
export function runElectronInstaller(packageDir: string, env: Env, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(packageDir, 'install.js')], {
      env: env as NodeJS.ProcessEnv,
      stdio: 'ignore',
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', () => {
      clearTimeout(timer);
      resolve(false);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code === 0);
    });
  });
}

export interface LocateOptions extends FindOptions {
  /** Default: Electron's installer, bounded by `timeoutMs`. */
  download?: () => Promise<boolean>;
  /** Default 10 minutes, or `AUTHLAB_ELECTRON_DOWNLOAD_TIMEOUT` seconds. */
  timeoutMs?: number;
  /** Told before a download starts (it can take a while on a slow network). */
  onDownload?: () => void;
}

/**
 * The Electron executable to run: already there, or downloaded once now. Never downloads when
 * `ELECTRON_OVERRIDE_DIST_PATH` is set (that path is the person's choice) or when
 * `ELECTRON_SKIP_BINARY_DOWNLOAD` is. Null when there is none; show `MISSING_ELECTRON` then.
 *
 * @example
 * const electron = await locateElectron({ env: process.env, packageDir: electronPackageDir() });
 * if (!electron) console.error(MISSING_ELECTRON);
 */
export async function locateElectron(options: LocateOptions): Promise<{ distDir: string; executable: string } | null> {
  const found = findElectron(options);
  if (found) return found;
  const { env } = options;
  if (env.ELECTRON_OVERRIDE_DIST_PATH || env.ELECTRON_SKIP_BINARY_DOWNLOAD) return null;
  const seconds = Number(env.AUTHLAB_ELECTRON_DOWNLOAD_TIMEOUT);
  const timeoutMs = options.timeoutMs ?? (seconds > 0 ? seconds * 1000 : 10 * 60_000);
  options.onDownload?.();
  const download = options.download ?? (() => runElectronInstaller(options.packageDir, env, timeoutMs));
  const downloaded = await download().catch(() => false);
  return downloaded ? findElectron(options) : null;
}

/**
 * What `pnpm desktop` and `pnpm dist` do first: locate Electron for this app (saying so before a
 * download), or print `MISSING_ELECTRON` and give null.
 */
export async function electronForScript(): Promise<{ distDir: string; executable: string } | null> {
  const packageDir = electronPackageDir();
  const electron = await locateElectron({
    env: process.env,
    packageDir,
    onDownload: () =>
      process.stdout.write(`Electron's binary is missing: downloading Electron ${electronVersion(packageDir)} once…\n`),
  });
  if (!electron) process.stderr.write(`${MISSING_ELECTRON}\n`);
  return electron;
}
