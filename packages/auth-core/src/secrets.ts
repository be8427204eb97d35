import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataDirError } from './errors.ts';
import { newKeyRingFile, readKeyRingFile, writeKeyRingFile } from './key-ring.ts';

export { DataDirError };

export interface Secrets {
  /** Keys that sign the session cookie: the first signs, all verify (so a new key can be rolled in). */
  sessionKeys: string[];
  /** The JWT mode's Ed25519 key ring (see `KeyRing`). */
  jwtKeyRingFile: string;
}

const SESSION_KEYS_FILE = join('secrets', 'session-keys');
const JWT_KEY_RING_FILE = join('secrets', 'jwt-keys.json');

export const jwtKeyRingPath = (dataDir: string) => join(dataDir, JWT_KEY_RING_FILE);
const MIN_KEY_BYTES = 32;

function isBrandNew(dataDir: string): boolean {
  return !existsSync(dataDir) || readdirSync(dataDir).length === 0;
}

/** Generates every secret into `dataDir` (0700 directories, 0600 files). Refuses to overwrite. */
export function writeNewSecrets(dataDir: string, now = Date.now()): Secrets {
  const file = join(dataDir, SESSION_KEYS_FILE);
  const ringFile = jwtKeyRingPath(dataDir);
  for (const existing of [file, ringFile]) {
    if (existsSync(existing)) throw new DataDirError(`${existing} already exists; refusing to overwrite a secret`);
  }
  mkdirSync(join(dataDir, 'secrets'), { recursive: true, mode: 0o700 });
  const sessionKeys = [randomBytes(MIN_KEY_BYTES).toString('base64url')];
  writeFileSync(file, `${sessionKeys.join('\n')}\n`, { mode: 0o600, flag: 'wx' });
  writeKeyRingFile(ringFile, newKeyRingFile(now), { exclusive: true });
  return { sessionKeys, jwtKeyRingFile: ringFile };
}

/**
 * Loads the secrets of `dataDir`. They are generated only into a brand-new (missing or empty)
 * directory, and never in production; a directory that already holds data but lacks a secret
 * stops start-up naming the file, rather than minting a new key that would log everyone out.
 */
export function loadSecrets(dataDir: string, options: { production: boolean }): Secrets & { generated: boolean } {
  const file = join(dataDir, SESSION_KEYS_FILE);
  if (isBrandNew(dataDir)) {
    if (options.production) {
      throw new DataDirError(
        `${file} is missing and NODE_ENV=production never generates secrets: run \`pnpm secrets init\` with DATA_DIR=${dataDir}, or copy the secrets directory of the other instances`,
      );
    }
    return { ...writeNewSecrets(dataDir), generated: true };
  }
  if (!existsSync(file)) {
    throw new DataDirError(
      `${file} is missing but ${dataDir} already holds data: restore the file (every instance must share it) or point DATA_DIR at a new directory`,
    );
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new DataDirError(`${file} cannot be read: ${(error as Error).message}`);
  }
  const sessionKeys = text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  const valid =
    sessionKeys.length > 0 &&
    sessionKeys.every((key) => /^[A-Za-z0-9_-]+$/.test(key) && Buffer.from(key, 'base64url').length >= MIN_KEY_BYTES);
  if (!valid) {
    throw new DataDirError(
      `${file} is corrupt: expected one or more base64url keys of at least ${MIN_KEY_BYTES} bytes, one per line`,
    );
  }
  const jwtKeyRingFile = jwtKeyRingPath(dataDir);
  readKeyRingFile(jwtKeyRingFile); // missing or corrupt: a DataDirError naming it
  return { sessionKeys, jwtKeyRingFile, generated: false };
}
