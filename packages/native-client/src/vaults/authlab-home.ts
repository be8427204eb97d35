import { homedir } from 'node:os';
import { posix, win32 } from 'node:path';

export type Env = Readonly<Record<string, string | undefined>>;

const nonEmpty = (value: string | undefined) => (value ? value : undefined);

/**
 * The directory where the native clients keep their files (settings, the opt-in file vault):
 * `AUTHLAB_HOME` when set, else the OS's per-user configuration directory.
 *
 * - Linux and other Unix: `$XDG_CONFIG_HOME/authlab`, or `~/.config/authlab` (a relative
 *   `XDG_CONFIG_HOME` is ignored, as the XDG Base Directory spec requires).
 * - macOS: `~/Library/Application Support/authlab`.
 * - Windows: `%APPDATA%\authlab` (or `%USERPROFILE%\AppData\Roaming\authlab`).
 *
 * `env` and `platform` are parameters so that every platform's rule can be tested anywhere.
 *
 * @example
 * defaultAuthlabHome({ HOME: '/home/ada' }, 'linux'); // → '/home/ada/.config/authlab'
 */
export function defaultAuthlabHome(env: Env = process.env, platform: NodeJS.Platform = process.platform): string {
  const explicit = nonEmpty(env.AUTHLAB_HOME);
  if (explicit) return explicit;
  if (platform === 'win32') {
    const appData = nonEmpty(env.APPDATA);
    if (appData) return win32.join(appData, 'authlab');
    return win32.join(nonEmpty(env.USERPROFILE) ?? homedir(), 'AppData', 'Roaming', 'authlab');
  }
  const home = nonEmpty(env.HOME) ?? homedir();
  if (platform === 'darwin') return posix.join(home, 'Library', 'Application Support', 'authlab');
  const xdgConfigHome = nonEmpty(env.XDG_CONFIG_HOME);
  if (xdgConfigHome && posix.isAbsolute(xdgConfigHome)) return posix.join(xdgConfigHome, 'authlab');
  return posix.join(home, '.config', 'authlab');
}
