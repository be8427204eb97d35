import type { KeyObject } from 'node:crypto';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { DataDirError, KeyRotationTooSoonError } from './errors.ts';
import {
  algOf,
  generatePrivateJwk,
  importKeyPair,
  isPrivateJwk,
  jwkThumbprint,
  type PrivateJwk,
  type PublicJwk,
  publicJwkOf,
  type SigningAlg,
} from './key-material.ts';

export type KeyState = 'next' | 'current' | 'previous';

/**
 * One signing key as stored (private JWK; the file is 0600 and never served). Its algorithm
 * follows from the key type: Ed25519 signs EdDSA, RSA signs RS256. Each algorithm of a ring has
 * its own next → current → previous line.
 */
export interface StoredKey {
  kid: string;
  state: KeyState;
  createdAt: number;
  /** When it became `current`. */
  activatedAt?: number;
  /** When it stopped being `current`; it verifies until every token it signed has expired. */
  retiredAt?: number;
  jwk: PrivateJwk;
}

export interface KeyRingFile {
  version: 1;
  keys: StoredKey[];
}

export interface KeyRingOptions {
  file: string;
  clock: () => number;
  /** How long a retired key keeps verifying: the access-token lifetime plus clock tolerance. */
  retireAfterMs: number;
  /** Automatic rotation: `current` is replaced once it is this old (default 90 days). */
  rotationIntervalMs?: number;
  /**
   * The least time a key is published as `next` before a rotation may promote it (default
   * {@link JWKS_MAX_AGE_SEC}): `rotate()` refuses sooner, unless forced.
   */
  minPublishedMs?: number;
  /**
   * The algorithms the ring signs with (default EdDSA only). A ring opened with one it has no
   * keys for gets a current and a next key for it, written to the file (nothing else changes).
   */
  algorithms?: SigningAlg[];
}

const NINETY_DAYS = 90 * 24 * 3600 * 1000;

/**
 * How long verifiers may cache a JWKS: the `max-age` of the JWKS responses, and the least time a
 * `next` key is published before it may sign (a promoted key unknown to a verifier's cached copy
 * is refused there: jose's createRemoteJWKSet throws ERR_JWKS_NO_MATCHING_KEY while it cools down,
 * other libraries until their cache expires).
 */
export const JWKS_MAX_AGE_SEC = 300;

export function newSigningKey(state: KeyState, now: number, alg: SigningAlg = 'EdDSA'): StoredKey {
  const jwk = generatePrivateJwk(alg);
  const key: StoredKey = { kid: jwkThumbprint(jwk), state, createdAt: now, jwk };
  if (state === 'current') key.activatedAt = now;
  return key;
}

/** A fresh ring: per algorithm a current key and the next one, already published so verifiers can cache it. */
export function newKeyRingFile(now: number, algorithms: SigningAlg[] = ['EdDSA']): KeyRingFile {
  return {
    version: 1,
    keys: algorithms.flatMap((alg) => [newSigningKey('current', now, alg), newSigningKey('next', now, alg)]),
  };
}

export function writeKeyRingFile(file: string, ring: KeyRingFile, options: { exclusive?: boolean } = {}): void {
  const text = `${JSON.stringify(ring, null, 2)}\n`;
  if (options.exclusive) {
    writeFileSync(file, text, { mode: 0o600, flag: 'wx' });
    return;
  }
  // Write-then-rename: other instances reading the shared file never see half of it.
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, text, { mode: 0o600 });
  renameSync(temp, file);
}

/** A lock older than this was left by a process that died holding it: key generation takes < 1 s. */
const STALE_LOCK_MS = 30_000;
const LOCK_WAIT_MS = 45_000;
const pause = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** Whether `lock` is gone now: released meanwhile, or older than STALE_LOCK_MS and removed. */
function brokeStaleLock(lock: string): boolean {
  try {
    if (Date.now() - statSync(lock).mtimeMs <= STALE_LOCK_MS) return false;
    rmSync(lock, { force: true });
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT';
  }
}

/**
 * Runs `change` (read the file, change it, write it) holding `<file>.lock`, so two instances
 * sharing the ring never both change it from the same old copy: the later write would drop the
 * keys the first one added and already signs with. Synchronous, like the ring: a change is rare
 * (start-up, rotation) and short. `wait: false` (the automatic rotation, on the request path)
 * gives up at once when another process holds the lock rather than block the event loop.
 */
export function withKeyRingLock<T>(file: string, change: () => T, options: { wait?: boolean } = {}): T {
  const lock = `${file}.lock`;
  const deadline = Date.now() + LOCK_WAIT_MS;
  // Written into the lock, so a holder that outlived STALE_LOCK_MS never removes its successor's.
  const owner = randomBytes(16).toString('hex');
  for (;;) {
    try {
      writeFileSync(lock, owner, { mode: 0o600, flag: 'wx' });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    // A lock left by a process that died holding it is broken by whoever finds it next, waiting
    // or not: otherwise one crash would stop the automatic rotation for good, without a word.
    if (brokeStaleLock(lock)) continue;
    if (options.wait === false) throw new DataDirError(`${lock} is held by another process: the key ring is changing`);
    if (Date.now() > deadline) {
      throw new DataDirError(
        `${lock} has been held for ${LOCK_WAIT_MS / 1000} s: if no authlab process is changing the key ring, delete it`,
      );
    }
    pause(20);
  }
  try {
    return change();
  } finally {
    try {
      if (readFileSync(lock, 'utf8') === owner) rmSync(lock, { force: true });
    } catch {
      // Already gone (judged stale and broken by another process).
    }
  }
}

function isStoredKey(value: unknown): value is StoredKey {
  const key = value as StoredKey;
  return (
    typeof key === 'object' &&
    key !== null &&
    typeof key.kid === 'string' &&
    ['next', 'current', 'previous'].includes(key.state) &&
    typeof key.createdAt === 'number' &&
    isPrivateJwk(key.jwk) &&
    jwkThumbprint(key.jwk) === key.kid
  );
}

/** Per algorithm present: exactly one current key and at most one next. */
function wellFormedLines(keys: StoredKey[]): boolean {
  const algorithms = new Set(keys.map((key) => algOf(key.jwk)));
  return [...algorithms].every((alg) => {
    const of = keys.filter((key) => algOf(key.jwk) === alg);
    return of.filter((k) => k.state === 'current').length === 1 && of.filter((k) => k.state === 'next').length <= 1;
  });
}

interface LoadedKey {
  stored: StoredKey;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

/** Reads and validates the key-ring file; a missing or corrupt file is a DataDirError naming it. */
export function readKeyRingFile(file: string): KeyRingFile {
  return loadKeyRingFile(file).ring;
}

/** `readKeyRingFile`, with the keys it imported to check them (so `KeyRing` imports each once). */
function loadKeyRingFile(file: string): { ring: KeyRingFile; keys: LoadedKey[] } {
  if (!existsSync(file)) {
    throw new DataDirError(
      `${file} is missing: restore it (every instance must share it), or run \`pnpm keys init\` to start a new ring (this signs everyone out of the JWT mode)`,
    );
  }
  let parsed: KeyRingFile;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as KeyRingFile;
  } catch (error) {
    throw new DataDirError(`${file} is corrupt: ${(error as Error).message}`);
  }
  const keys = Array.isArray(parsed?.keys) ? parsed.keys : [];
  const valid =
    parsed?.version === 1 &&
    keys.length > 0 &&
    keys.every(isStoredKey) &&
    new Set(keys.map((k) => k.kid)).size === keys.length &&
    wellFormedLines(keys);
  if (!valid) {
    throw new DataDirError(
      `${file} is corrupt: expected version 1, distinct kids, Ed25519 or RSA keys, and per algorithm exactly one current and at most one next key`,
    );
  }
  const loaded = keys.map((stored) => {
    try {
      return { stored, ...importKeyPair(stored.jwk) };
    } catch (error) {
      throw new DataDirError(`${file} is corrupt: ${stored.kid}: ${(error as Error).message}`);
    }
  });
  return { ring: parsed, keys: loaded };
}

/**
 * Per algorithm: previous ← current, current ← next, next ← new; retired keys past their use are
 * dropped. Every algorithm rotates at once, so the ring's lines stay in step.
 */
export function rotateKeyRingFile(ring: KeyRingFile, now: number, retireAfterMs: number): KeyRingFile {
  const keys = ring.keys.filter((k) => k.state !== 'previous' || (k.retiredAt ?? 0) + retireAfterMs > now);
  const rotated: StoredKey[] = [];
  for (const alg of new Set(keys.map((k) => algOf(k.jwk)))) {
    const line = keys.filter((k) => algOf(k.jwk) === alg);
    const current = line.find((k) => k.state === 'current');
    const next = line.find((k) => k.state === 'next') ?? newSigningKey('next', now, alg);
    rotated.push(
      ...line.filter((k) => k !== current && k !== next),
      ...(current ? [{ ...current, state: 'previous' as const, retiredAt: now }] : []),
      { ...next, state: 'current', activatedAt: now },
      newSigningKey('next', now, alg),
    );
  }
  return { version: 1, keys: rotated };
}

/** The order of `jwks()` and `privateJwks()`: a whole-set signer uses the first matching key. */
const PUBLISH_ORDER: Record<KeyState, number> = { current: 0, next: 1, previous: 2 };

/**
 * A ring of signing keys shared by every instance through one file in `DATA_DIR` (the JWT mode's,
 * EdDSA; the OpenID Provider's, EdDSA and RS256). Keys are imported once per load (never per
 * request); the file is re-read when another instance or `pnpm keys rotate` replaces it, and
 * `current` is rotated automatically when it is too old.
 *
 * @example
 * const ring = KeyRing.open({ file, clock: Date.now, retireAfterMs: 15 * 60_000 + 60_000 });
 * const { kid, privateKey } = ring.signingKey();
 * ring.verificationKey(kid); // KeyObject, or undefined for an unknown or expired kid
 */
export class KeyRing {
  readonly #options: KeyRingOptions;
  #keys = new Map<string, LoadedKey>();
  #revision = 0;
  /** The kids `#published()` gave at the last revision: a retired key running out changes it too. */
  #publishedKids = '';
  /** inode, size and mtime of the file last loaded: mtime alone repeats for writes in the same tick. */
  #fileVersion = '';
  #checkedAt = 0;

  private constructor(options: KeyRingOptions) {
    this.#options = options;
  }

  static open(options: KeyRingOptions): KeyRing {
    const ring = new KeyRing(options);
    ring.#load();
    ring.#addMissingAlgorithms();
    return ring;
  }

  /** A ring written before an algorithm was added (the provider's, before RS256) gets its keys. */
  #addMissingAlgorithms(): void {
    if (this.#missingAlgorithms().length === 0) return;
    withKeyRingLock(this.#options.file, () => {
      // Another instance opening the same old ring may have added them while this one waited.
      this.#load();
      const missing = this.#missingAlgorithms();
      if (missing.length === 0) return;
      const added = newKeyRingFile(this.#options.clock(), missing).keys;
      writeKeyRingFile(this.#options.file, { version: 1, keys: [...this.#snapshot().keys, ...added] });
      this.#load();
    });
  }

  #missingAlgorithms(): SigningAlg[] {
    const present = new Set([...this.#keys.values()].map((k) => algOf(k.stored.jwk)));
    return (this.#options.algorithms ?? ['EdDSA']).filter((alg) => !present.has(alg));
  }

  #statVersion(): string {
    const stat = statSync(this.#options.file);
    return `${stat.ino}:${stat.size}:${stat.mtimeMs}`;
  }

  #load(): void {
    // Stat before reading: a replacement landing in between is then seen (and loaded) next time.
    let version = '';
    try {
      version = this.#statVersion();
    } catch {
      // Missing: readKeyRingFile throws the DataDirError that names the file.
    }
    const loaded = loadKeyRingFile(this.#options.file).keys;
    this.#fileVersion = version;
    this.#keys = new Map(loaded.map((key) => [key.stored.kid, key]));
    this.#publishedKids = this.#kidsInUse();
    this.#revision++;
  }

  #kidsInUse(): string {
    return this.#published()
      .map((stored) => stored.kid)
      .join(',');
  }

  /**
   * Changes whenever the keys in use change: a reload, a rotation, or (seen by `refresh()`) a
   * previous key whose verification window has ended, so a holder of `privateJwks()` (the
   * OpenID Provider) drops it then rather than at the next rotation.
   */
  get revision(): number {
    return this.#revision;
  }

  /**
   * The private JWKs for a signer that takes a whole key set (oidc-provider): current first, since
   * such signers use the first key that matches the algorithm, then next and usable previous keys.
   * Never serve this: it holds private members.
   */
  privateJwks(): Array<PrivateJwk & { kid: string; alg: SigningAlg; use: 'sig' }> {
    return this.#published().map((stored) => ({ ...stored.jwk, kid: stored.kid, alg: algOf(stored.jwk), use: 'sig' }));
  }

  /** The keys that verify (current, next, previous ones still needed), in `PUBLISH_ORDER`. */
  #published(): StoredKey[] {
    return [...this.#keys.values()]
      .map((k) => k.stored)
      .filter((stored) => this.#usable(stored))
      .sort((a, b) => PUBLISH_ORDER[a.state] - PUBLISH_ORDER[b.state]);
  }

  /**
   * Picks up a rotation done elsewhere and rotates when `current` is due. Cheap (one stat at most
   * every few seconds), so it is called on the signing path rather than on a timer.
   */
  refresh(): void {
    const now = this.#options.clock();
    if (now - this.#checkedAt < 5_000 && now >= this.#checkedAt) return;
    this.#checkedAt = now;
    this.#reloadIfChanged();
    const kids = this.#kidsInUse();
    if (kids !== this.#publishedKids) {
      this.#publishedKids = kids;
      this.#revision++;
    }
    const interval = this.#options.rotationIntervalMs ?? NINETY_DAYS;
    const activatedAt = Math.min(...this.#lines('current').map((stored) => stored.activatedAt ?? stored.createdAt));
    if (now - activatedAt >= interval) {
      try {
        // Never wait for the lock here: this runs while a request waits for its token.
        withKeyRingLock(this.#options.file, () => this.#rotateLocked({}), { wait: false });
      } catch {
        // A read-only or full disk, a next key published too recently, or another process rotating
        // must not fail or stall sign-ins: keep the current key, retry at the next check.
      }
    }
  }

  #reloadIfChanged(): void {
    try {
      if (this.#statVersion() !== this.#fileVersion) this.#load();
    } catch {
      // Keep serving with the keys in memory; start-up already proved the file once.
    }
  }

  /**
   * Per algorithm: next → current → previous, and a new next. Refused with
   * {@link KeyRotationTooSoonError} while a next key has been published for less than
   * `minPublishedMs` (a verifier's cached JWKS may not hold it yet), unless `force` (a
   * compromised current key: better that cached verifiers refuse new tokens until they refetch
   * than keep signing with it).
   */
  rotate(options: { force?: boolean } = {}): void {
    withKeyRingLock(this.#options.file, () => this.#rotateLocked(options));
  }

  #rotateLocked(options: { force?: boolean }): void {
    // Rotate what the file holds now, not a stale copy: another instance may have rotated since
    // (and then the new next key is too young to promote, so the second rotation is refused).
    this.#load();
    const now = this.#options.clock();
    if (!options.force) {
      const withoutNext = this.#algorithms().filter((alg) => !this.#lines('next').some((k) => algOf(k.jwk) === alg));
      if (withoutNext.length > 0) {
        // A line without a next key (a ring written by hand): publish one now, so a later rotation can go.
        writeKeyRingFile(this.#options.file, {
          version: 1,
          keys: [...this.#snapshot().keys, ...withoutNext.map((alg) => newSigningKey('next', now, alg))],
        });
        this.#load();
      }
      const minPublishedMs = this.#options.minPublishedMs ?? JWKS_MAX_AGE_SEC * 1000;
      const youngest = this.#lines('next').reduce<StoredKey | undefined>(
        (young, key) => (!young || key.createdAt > young.createdAt ? key : young),
        undefined,
      );
      if (youngest && now < youngest.createdAt + minPublishedMs) {
        throw new KeyRotationTooSoonError(youngest.kid, youngest.createdAt, youngest.createdAt + minPublishedMs);
      }
    }
    const rotated = rotateKeyRingFile(this.#snapshot(), now, this.#options.retireAfterMs);
    writeKeyRingFile(this.#options.file, rotated);
    this.#load();
  }

  #lines(state: KeyState): StoredKey[] {
    return [...this.#keys.values()].map((k) => k.stored).filter((stored) => stored.state === state);
  }

  #algorithms(): SigningAlg[] {
    return [...new Set([...this.#keys.values()].map((k) => algOf(k.stored.jwk)))];
  }

  #snapshot(): KeyRingFile {
    return { version: 1, keys: [...this.#keys.values()].map((k) => k.stored) };
  }

  /** The current key of `alg` (EdDSA by default): what signs now. */
  signingKey(alg: SigningAlg = 'EdDSA'): { kid: string; privateKey: KeyObject } {
    this.refresh();
    const current = [...this.#keys.values()].find((k) => k.stored.state === 'current' && algOf(k.stored.jwk) === alg);
    if (!current) throw new Error(`the key ring ${this.#options.file} has no ${alg} key`);
    return { kid: current.stored.kid, privateKey: current.privateKey };
  }

  /** Only keys of this ring, looked up by `kid` in memory: no I/O, no key taken from a token. */
  verificationKey(kid: string): KeyObject | undefined {
    const key = this.#keys.get(kid);
    if (!key || !this.#usable(key.stored)) return undefined;
    return key.publicKey;
  }

  #usable(stored: StoredKey): boolean {
    if (stored.state !== 'previous') return true;
    return (stored.retiredAt ?? 0) + this.#options.retireAfterMs > this.#options.clock();
  }

  /** The public keys for a JWKS: next, current and still-needed previous ones, public members only. */
  jwks(): { keys: PublicJwk[] } {
    this.refresh();
    return { keys: this.#published().map((stored) => publicJwkOf(stored.jwk, stored.kid)) };
  }

  list(): Array<Omit<StoredKey, 'jwk'> & { alg: SigningAlg }> {
    return [...this.#keys.values()].map(({ stored }) => {
      const { jwk, ...rest } = stored;
      return { ...rest, alg: algOf(jwk) };
    });
  }
}
