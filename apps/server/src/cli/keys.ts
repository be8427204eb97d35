/**
 * `pnpm keys <command> [--ring jwt|oidc]`: a signing-key ring, shared by every instance: the JWT
 * mode's (DATA_DIR/secrets/jwt-keys.json, the default) or the OpenID Provider's
 * (DATA_DIR/secrets/oidc-keys.json).
 *
 *   pnpm keys list     every key: kid, state, created, activated, retired
 *   pnpm keys rotate   next → current → previous, and a new next (refused while next is younger
 *                      than the JWKS cache lifetime, unless --force)
 *   pnpm keys init     a new ring, only where the file is missing (never overwrites)
 */
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  DataDirError,
  JWKS_MAX_AGE_SEC,
  jwtKeyRingPath,
  KeyRing,
  KeyRotationTooSoonError,
  newKeyRingFile,
  OIDC_KEY_ALGORITHMS,
  oidcKeyRingPath,
  readKeyRingFile,
  writeKeyRingFile,
} from '@authlab/auth-core';
import { type Config, ConfigError, loadConfig } from '../config.ts';
import { CliError, parseCommandLine, printTable } from './cli-kit.ts';

const USAGE = `usage: pnpm keys <command> [--ring jwt|oidc]

commands:
  list     every key of the ring: kid, state (next, current, previous), created, activated, retired
  rotate   promote next to current, keep the old current as previous until its tokens expire,
           and add a new next; nobody is signed out. Refused while the next key has been
           published for less than the JWKS cache lifetime (${JWKS_MAX_AGE_SEC} s): a verifier's
           cached copy may not hold it yet. --force rotates anyway (a compromised key), and
           verifiers with a cached JWKS refuse new tokens until they fetch it again
  init     create a ring where DATA_DIR/secrets/jwt-keys.json is missing (a DATA_DIR made before
           the JWT mode existed); never overwrites

--force    rotate: promote the next key even if it was published too recently
--ring     jwt (default): the JWT mode's access-token keys; oidc: the OpenID Provider's keys (ID
           tokens and its access tokens; every instance rebuilds its provider within seconds)

environment: the server's own (DATA_DIR, default .data; ACCESS_TOKEN_TTL;
JWT_KEY_ROTATION_INTERVAL, default 90d, for the automatic rotation the server does itself)
`;

const COMMANDS = new Set(['list', 'rotate', 'init']);

const iso = (ms: number | undefined) => (ms === undefined ? '-' : new Date(ms).toISOString());

type Ring = 'jwt' | 'oidc';

/**
 * Opened as the server opens it: a retired key verifies for the lifetime of what it signed plus a
 * minute (access tokens for the JWT ring; ID tokens, an hour, for the provider's ring).
 */
function openRing(config: Config, file: string, ring: Ring): KeyRing {
  return KeyRing.open({
    file,
    clock: Date.now,
    retireAfterMs: ring === 'oidc' ? 3_600_000 + 60_000 : config.jwt.accessTokenTtlSec * 1000 + 60_000,
    rotationIntervalMs: config.jwt.keyRotationIntervalMs,
    ...(ring === 'oidc' ? { algorithms: OIDC_KEY_ALGORITHMS } : {}),
  });
}

const STATE_ORDER: Record<string, number> = { current: 0, next: 1, previous: 2 };

function list(config: Config, file: string, ring: Ring): void {
  const keys = openRing(config, file, ring)
    .list()
    .sort((a, b) => (STATE_ORDER[a.state] ?? 3) - (STATE_ORDER[b.state] ?? 3) || b.createdAt - a.createdAt);
  printTable([
    ['kid', 'state', 'created', 'activated', 'retired', 'alg'],
    ...keys.map((k) => [k.kid, k.state, iso(k.createdAt), iso(k.activatedAt), iso(k.retiredAt), k.alg]),
  ]);
}

function rotate(config: Config, file: string, which: Ring, force: boolean): void {
  const ring = openRing(config, file, which);
  const currentKids = () =>
    ring
      .list()
      .filter((k) => k.state === 'current')
      .map((k) => `${k.kid} (${k.alg})`)
      .join(', ');
  const before = currentKids();
  try {
    ring.rotate({ force });
  } catch (error) {
    if (!(error instanceof KeyRotationTooSoonError)) throw error;
    const wait = Math.ceil((error.safeAt - Date.now()) / 1000);
    throw new CliError(
      `refusing to rotate ${file}: ${error.message}.\n` +
        `Run \`pnpm keys rotate\` again in ${wait} s (after ${new Date(error.safeAt).toISOString()}); ` +
        'with --force only for a compromised key (verifiers with a cached JWKS then refuse new tokens until they fetch it again)',
    );
  }
  const current = currentKids();
  const lifetime = which === 'oidc' ? 'ID tokens: 1 h' : `ACCESS_TOKEN_TTL, ${config.jwt.accessTokenTtlSec} s`;
  process.stdout.write(
    `rotated ${file}\ncurrent key is now ${current} (was ${before})\n` +
      'running instances pick it up within seconds (they re-read the file at most every 5 s); ' +
      `tokens signed by the previous key keep working until they expire (${lifetime}), ` +
      'so nobody is signed out\n',
  );
}

function init(file: string, ring: Ring): void {
  if (existsSync(file)) {
    throw new CliError(
      `${file} already exists; refusing to overwrite it (a new ring would invalidate every access token already issued): \`pnpm keys rotate\` replaces the signing key without that`,
    );
  }
  if (!existsSync(dirname(file))) {
    throw new CliError(
      `${dirname(file)} does not exist: run \`pnpm secrets init\` for a new DATA_DIR (it creates the key ring too)`,
    );
  }
  try {
    // Exclusive create: if another `init` or the server got there first, theirs stands.
    writeKeyRingFile(file, newKeyRingFile(Date.now(), ring === 'oidc' ? OIDC_KEY_ALGORITHMS : ['EdDSA']), {
      exclusive: true,
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new CliError(`${file} already exists; refusing to overwrite it`);
    }
    throw error;
  }
  const current = readKeyRingFile(file).keys.find((k) => k.state === 'current')?.kid;
  process.stdout.write(
    `created ${file} (current key ${current})\nevery instance must use this same file: share DATA_DIR or copy it to each one, and keep it out of version control\n`,
  );
}

function main(argv: string[]): void {
  const { values, positionals } = parseCommandLine(argv, {
    help: { type: 'boolean', short: 'h' },
    ring: { type: 'string', default: 'jwt' },
    force: { type: 'boolean', default: false },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const [command, ...extra] = positionals;
  if (!command) throw new CliError('missing command', { usage: true });
  if (!COMMANDS.has(command)) throw new CliError(`unknown command "${command}"`, { usage: true });
  if (extra.length > 0) throw new CliError(`${command} takes no arguments (got "${extra.join(' ')}")`, { usage: true });

  const ring = values.ring;
  if (ring !== 'jwt' && ring !== 'oidc')
    throw new CliError(`--ring takes jwt or oidc (got "${ring}")`, { usage: true });

  const config = loadConfig(process.env);
  const file = ring === 'oidc' ? oidcKeyRingPath(config.dataDir) : jwtKeyRingPath(config.dataDir);
  if (command === 'list') list(config, file, ring);
  else if (command === 'rotate') rotate(config, file, ring, values.force === true);
  else init(file, ring);
}

try {
  main(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof CliError || error instanceof ConfigError || error instanceof DataDirError)) throw error;
  const usage = error instanceof CliError && error.usage ? `\n${USAGE}` : '';
  process.stderr.write(`pnpm keys: ${error.message}\n${usage}`);
  process.exitCode = 1;
}
