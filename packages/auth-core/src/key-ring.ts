import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { DataDirError, KeyRotationTooSoonError } from './errors.ts';

export type KeyState = 'next' | 'current' | 'previous';

/** One Ed25519 signing key as stored (private JWK; the file is 0600 and never served). */
export interface StoredKey {
  kid: string;
  state: KeyState;
  createdAt: number;
  /** When it became `current`. */
  activatedAt?: number;
  /** When it stopped being `current`; it verifies until every token it signed has expired. */
  retiredAt?: number;
  jwk: { kty: 'OKP'; crv: 'Ed25519'; x: string; d: string };
}

export interface KeyRingFile {
  version: 1;
  keys: StoredKey[];
}

export interface PublicJwk {
  kty: 'OKP';
  crv: 'Ed25519';
  x: string;
  kid: string;
  alg: 'EdDSA';
  use: 'sig';
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
}

const NINETY_DAYS = 90 * 24 * 3600 * 1000;

/**
 * How long verifiers may cache a JWKS: the `max-age` of the JWKS responses, and the least time a
 * `next` key is published before it may sign (a promoted key unknown to a verifier's cached copy
 * is refused there: jose's createRemoteJWKSet throws ERR_JWKS_NO_MATCHING_KEY while it cools down,
 * other libraries until their cache expires).
 */
export const JWKS_MAX_AGE_SEC = 300;

/** RFC 7638 thumbprint of an OKP key: SHA-256 over the required members in lexicographic order. */
export function jwkThumbprint(jwk: { crv: string; kty: string; x: string }): string {
  const canonical = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x });
  return createHash('sha256').update(canonical).digest('base64url');
}

export function newSigningKey(state: KeyState, now: number): StoredKey {
  const { privateKey } = generateKeyPairSync('ed25519');
  const jwk = privateKey.export({ format: 'jwk' }) as { kty: 'OKP'; crv: 'Ed25519'; x: string; d: string };
  const key: StoredKey = {
    kid: jwkThumbprint(jwk),
    state,
    createdAt: now,
    jwk: { kty: 'OKP', crv: 'Ed25519', x: jwk.x, d: jwk.d },
  };
  if (state === 'current') key.activatedAt = now;
  return key;
}

/** A fresh ring: a current key and the next one, already published so verifiers can cache it. */
export function newKeyRingFile(now: number): KeyRingFile {
  return { version: 1, keys: [newSigningKey('current', now), newSigningKey('next', now)] };
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

function isStoredKey(value: unknown): value is StoredKey {
  const key = value as StoredKey;
  return (
    typeof key === 'object' &&
    key !== null &&
    typeof key.kid === 'string' &&
    ['next', 'current', 'previous'].includes(key.state) &&
    typeof key.createdAt === 'number' &&
    key.jwk?.kty === 'OKP' &&
    key.jwk.crv === 'Ed25519' &&
    typeof key.jwk.x === 'string' &&
    typeof key.jwk.d === 'string' &&
    jwkThumbprint(key.jwk) === key.kid
  );
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
    keys.filter((k) => k.state === 'current').length === 1 &&
    keys.filter((k) => k.state === 'next').length <= 1;
  if (!valid) {
    throw new DataDirError(
      `${file} is corrupt: expected version 1, distinct kids, exactly one current and at most one next Ed25519 key`,
    );
  }
  const loaded = keys.map((stored) => {
    let privateKey: KeyObject;
    let publicKey: KeyObject;
    try {
      privateKey = createPrivateKey({ key: stored.jwk, format: 'jwk' });
      publicKey = createPublicKey(privateKey);
    } catch (error) {
      throw new DataDirError(`${file} is corrupt: a key does not import (${(error as Error).message})`);
    }
    // Node imports an OKP private JWK from `d` alone and ignores `x`: without this check a file
    // whose `x` (and kid) were replaced would sign with one key and publish another in the JWKS.
    if (publicKey.export({ format: 'jwk' }).x !== stored.jwk.x) {
      throw new DataDirError(`${file} is corrupt: the public key x of ${stored.kid} does not match its private key`);
    }
    return { stored, privateKey, publicKey };
  });
  return { ring: parsed, keys: loaded };
}

/** previous ← current, current ← next, next ← new; retired keys past their use are dropped. */
export function rotateKeyRingFile(ring: KeyRingFile, now: number, retireAfterMs: number): KeyRingFile {
  const keys = ring.keys.filter((k) => k.state !== 'previous' || (k.retiredAt ?? 0) + retireAfterMs > now);
  const current = keys.find((k) => k.state === 'current');
  const next = keys.find((k) => k.state === 'next') ?? newSigningKey('next', now);
  const rotated: StoredKey[] = keys
    .filter((k) => k !== current && k !== next)
    .concat(current ? [{ ...current, state: 'previous', retiredAt: now }] : [])
    .concat([{ ...next, state: 'current', activatedAt: now }, newSigningKey('next', now)]);
  return { version: 1, keys: rotated };
}

/** The order of `jwks()` and `privateJwks()`: a whole-set signer uses the first matching key. */
const PUBLISH_ORDER: Record<KeyState, number> = { current: 0, next: 1, previous: 2 };

/**
 * The JWT mode's signing keys, shared by every instance through one file in `DATA_DIR`. Keys
 * are imported once per load (never per request); the file is re-read when another instance or
 * `pnpm keys rotate` replaces it, and `current` is rotated automatically when it is too old.
 *
 * @example
 * const ring = KeyRing.open({ file, clock: Date.now, retireAfterMs: 15 * 60_000 + 60_000 });
 * const { kid, privateKey } = ring.signingKey();
 * ring.verificationKey(kid); // KeyObject, or undefined for an unknown or expired kid
 */
export class KeyRing {
  readonly #options: KeyRingOptions;
  #keys = new Map<string, LoadedKey>();
  #current!: LoadedKey;
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
    return ring;
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
    const keys = new Map(loaded.map((key) => [key.stored.kid, key]));
    this.#keys = keys;
    this.#current = [...keys.values()].find((k) => k.stored.state === 'current') as LoadedKey;
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
  privateJwks(): Array<StoredKey['jwk'] & { kid: string; alg: 'EdDSA'; use: 'sig' }> {
    return this.#published().map((stored) => ({ ...stored.jwk, kid: stored.kid, alg: 'EdDSA', use: 'sig' }));
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
    const activatedAt = this.#current.stored.activatedAt ?? this.#current.stored.createdAt;
    if (now - activatedAt >= interval) {
      try {
        this.rotate();
      } catch {
        // A read-only or full disk, or a next key published too recently, must not fail sign-ins:
        // keep the current key, retry at the next check.
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
   * next → current → previous, and a new next. Refused with {@link KeyRotationTooSoonError} while
   * the next key has been published for less than `minPublishedMs` (a verifier's cached JWKS may
   * not hold it yet), unless `force` (a compromised current key: better that cached verifiers
   * refuse new tokens until they refetch than keep signing with it).
   */
  rotate(options: { force?: boolean } = {}): void {
    // Rotate what the file holds now, not a stale copy: another instance may have rotated since.
    this.#reloadIfChanged();
    const now = this.#options.clock();
    let next = this.#stored('next');
    if (!next && !options.force) {
      // A ring without a next key (written by hand): publish one now, so a later rotation can go.
      writeKeyRingFile(this.#options.file, {
        version: 1,
        keys: [...this.#snapshot().keys, newSigningKey('next', now)],
      });
      this.#load();
      next = this.#stored('next');
    }
    const safeAt = (next?.createdAt ?? now) + (this.#options.minPublishedMs ?? JWKS_MAX_AGE_SEC * 1000);
    if (next && !options.force && now < safeAt) throw new KeyRotationTooSoonError(next.kid, next.createdAt, safeAt);
    const rotated = rotateKeyRingFile(this.#snapshot(), now, this.#options.retireAfterMs);
    writeKeyRingFile(this.#options.file, rotated);
    this.#load();
  }

  #stored(state: KeyState): StoredKey | undefined {
    return [...this.#keys.values()].find((k) => k.stored.state === state)?.stored;
  }

  #snapshot(): KeyRingFile {
    return { version: 1, keys: [...this.#keys.values()].map((k) => k.stored) };
  }

  signingKey(): { kid: string; privateKey: KeyObject } {
    this.refresh();
    return { kid: this.#current.stored.kid, privateKey: this.#current.privateKey };
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

  /** The public keys for `/.well-known/jwks.json`: next, current and still-needed previous ones. */
  jwks(): { keys: PublicJwk[] } {
    this.refresh();
    return {
      keys: this.#published().map((stored) => ({
        kty: 'OKP',
        crv: 'Ed25519',
        x: stored.jwk.x,
        kid: stored.kid,
        alg: 'EdDSA',
        use: 'sig',
      })),
    };
  }

  list(): Array<Omit<StoredKey, 'jwk'>> {
    return [...this.#keys.values()].map(({ stored }) => {
      const { jwk: _private, ...rest } = stored;
      return rest;
    });
  }
}
