import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataDirError } from './errors.ts';
import type { SigningAlg } from './key-material.ts';
import { newKeyRingFile, readKeyRingFile, writeKeyRingFile } from './key-ring.ts';

/**
 * The OpenID Provider's algorithms: EdDSA for its access tokens (and ID tokens of clients that ask
 * for it), RS256 for ID tokens by default (OIDC Discovery §3, Core §15.1).
 */
export const OIDC_KEY_ALGORITHMS: SigningAlg[] = ['EdDSA', 'RS256'];

export { DataDirError };

export interface Secrets {
  /** Keys that sign the session cookie: the first signs, all verify (so a new key can be rolled in). */
  sessionKeys: string[];
  /** The JWT mode's Ed25519 key ring (see `KeyRing`). */
  jwtKeyRingFile: string;
  /** The OpenID Provider's Ed25519 key ring (ID tokens and its JWT access tokens). */
  oidcKeyRingFile: string;
  /** The secret of `authlab-web`, the server's own confidential client at the built-in provider. */
  oidcWebClientSecret: string;
}

const SESSION_KEYS_FILE = join('secrets', 'session-keys');
const JWT_KEY_RING_FILE = join('secrets', 'jwt-keys.json');
const OIDC_KEY_RING_FILE = join('secrets', 'oidc-keys.json');
const OIDC_WEB_CLIENT_SECRET_FILE = join('secrets', 'oidc-web-client-secret');

export const jwtKeyRingPath = (dataDir: string) => join(dataDir, JWT_KEY_RING_FILE);
export const oidcKeyRingPath = (dataDir: string) => join(dataDir, OIDC_KEY_RING_FILE);
const MIN_KEY_BYTES = 32;

const newKey = () => randomBytes(MIN_KEY_BYTES).toString('base64url');
const isKey = (key: string) => /^[A-Za-z0-9_-]+$/.test(key) && Buffer.from(key, 'base64url').length >= MIN_KEY_BYTES;

function isBrandNew(dataDir: string): boolean {
  return !existsSync(dataDir) || readdirSync(dataDir).length === 0;
}

/** Generates every secret into `dataDir` (0700 directories, 0600 files). Refuses to overwrite. */
export function writeNewSecrets(dataDir: string, now = Date.now()): Secrets {
  const file = join(dataDir, SESSION_KEYS_FILE);
  const ringFile = jwtKeyRingPath(dataDir);
  const oidcRingFile = oidcKeyRingPath(dataDir);
  const clientSecretFile = join(dataDir, OIDC_WEB_CLIENT_SECRET_FILE);
  for (const existing of [file, ringFile, oidcRingFile, clientSecretFile]) {
    if (existsSync(existing)) throw new DataDirError(`${existing} already exists; refusing to overwrite a secret`);
  }
  mkdirSync(join(dataDir, 'secrets'), { recursive: true, mode: 0o700 });
  const sessionKeys = [newKey()];
  const oidcWebClientSecret = newKey();
  writeFileSync(file, `${sessionKeys.join('\n')}\n`, { mode: 0o600, flag: 'wx' });
  writeKeyRingFile(ringFile, newKeyRingFile(now), { exclusive: true });
  writeKeyRingFile(oidcRingFile, newKeyRingFile(now, OIDC_KEY_ALGORITHMS), { exclusive: true });
  writeFileSync(clientSecretFile, `${oidcWebClientSecret}\n`, { mode: 0o600, flag: 'wx' });
  return { sessionKeys, jwtKeyRingFile: ringFile, oidcKeyRingFile: oidcRingFile, oidcWebClientSecret };
}

/** Reads one-key-per-line secret files; missing or corrupt files name themselves. */
function readKeys(file: string, dataDir: string): string[] {
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
  const keys = text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  if (keys.length === 0 || !keys.every(isKey)) {
    throw new DataDirError(
      `${file} is corrupt: expected one or more base64url keys of at least ${MIN_KEY_BYTES} bytes, one per line`,
    );
  }
  return keys;
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
  const sessionKeys = readKeys(file, dataDir);
  const jwtKeyRingFile = jwtKeyRingPath(dataDir);
  readKeyRingFile(jwtKeyRingFile); // missing or corrupt: a DataDirError naming it
  const oidcKeyRingFile = oidcKeyRingPath(dataDir);
  readKeyRingFile(oidcKeyRingFile);
  const [oidcWebClientSecret = ''] = readKeys(join(dataDir, OIDC_WEB_CLIENT_SECRET_FILE), dataDir);
  return { sessionKeys, jwtKeyRingFile, oidcKeyRingFile, oidcWebClientSecret, generated: false };
}
