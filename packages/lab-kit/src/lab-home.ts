/**
 * The runner's private files, kept outside the repository so that nothing in a lab folder can
 * stand in for them: `<authlab home>/labs/` (`~/.config/authlab/labs` on Linux, or
 * `$AUTHLAB_HOME/labs`; see @authlab/native-client's authlab-home for every platform). The folder
 * is created 0700 and every file in it 0600, and a file others can read is refused rather than
 * used (a key someone else has read proves nothing), as ssh does with private keys.
 */
import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultAuthlabHome } from '@authlab/native-client/authlab-home';

export const labHome = (): string => join(defaultAuthlabHome(), 'labs');

export class InsecureFileError extends Error {
  readonly code = 'file_insecure';
}

function refuseIfShared(file: string): void {
  if (process.platform === 'win32') return; // the per-user ACL of %APPDATA% protects it there
  if ((statSync(file).mode & 0o077) !== 0) {
    throw new InsecureFileError(`${file} can be read by other users: chmod 600 it (or delete it to start afresh)`);
  }
}

/** The text of a private file, or null when there is none. */
export function readPrivateFile(file: string): string | null {
  try {
    refuseIfShared(file);
    return readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** Replaces a private file whole (a temporary file renamed over it, so a crash never leaves half). */
export function writePrivateFile(file: string, text: string): void {
  mkdirSync(join(file, '..'), { recursive: true, mode: 0o700 });
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(temporary, text, { mode: 0o600, flag: 'wx' });
  renameSync(temporary, file);
}

/**
 * The secret in `file`, created by `create()` the first time. Two commands creating it at once
 * agree on one: the new secret is written to a temporary file and hard-linked into place, which
 * fails when another got there first, so nobody ever reads a half-written secret.
 */
export function readOrCreateSecret(file: string, create: () => string): string {
  const existing = readPrivateFile(file);
  if (existing?.trim()) return existing.trim();
  // An empty key file would make an empty HMAC key: write a new secret over it.
  if (existing !== null) rmSync(file, { force: true });
  mkdirSync(join(file, '..'), { recursive: true, mode: 0o700 });
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(temporary, `${create()}\n`, { mode: 0o600, flag: 'wx' });
  try {
    linkSync(temporary, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    rmSync(temporary, { force: true });
  }
  return (readPrivateFile(file) ?? '').trim();
}
