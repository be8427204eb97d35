import { randomBytes } from 'node:crypto';
import argon2 from 'argon2';
import bcrypt from 'bcryptjs';
import { BcryptPool } from './bcrypt/bcrypt-pool.ts';
import { AuthError } from './errors.ts';

export interface Argon2Params {
  /** KiB. */
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

/** OWASP Password Storage Cheat Sheet: argon2id, 19 MiB, t=2, p=1. */
export const DEFAULT_ARGON2: Argon2Params = { memoryCost: 19_456, timeCost: 2, parallelism: 1 };

/** The OWASP table of equivalent argon2id minimums (memory KiB, iterations). */
const OWASP_MINIMUMS: ReadonlyArray<[number, number]> = [
  [47_104, 1],
  [19_456, 2],
  [12_288, 3],
  [9_216, 4],
  [7_168, 5],
];

/** Longer input is refused before any hashing (a cheap DoS otherwise); never truncated. */
export const MAX_PASSWORD_BYTES = 1024;
/** For new passwords (ASVS 4.0.3 V2.1.1). */
export const MIN_PASSWORD_LENGTH = 12;
/** bcrypt reads only 72 bytes; longer input would let a different password with the same prefix in. */
const BCRYPT_MAX_BYTES = 72;
/** The cost of the legacy bcrypt hashes (the migration lab's seed), and so of the bcrypt dummy. */
export const LEGACY_BCRYPT_COST = 10;

export function assertStrongArgon2(params: Argon2Params): void {
  const ok = OWASP_MINIMUMS.some(([m, t]) => params.memoryCost >= m && params.timeCost >= t) && params.parallelism >= 1;
  if (!ok) {
    throw new Error(
      `argon2id parameters m=${params.memoryCost} KiB, t=${params.timeCost}, p=${params.parallelism} are weaker than the OWASP minimum (m=19456 KiB, t=2, p=1 or an equivalent)`,
    );
  }
}

/**
 * A password already bounded and NFKC-normalised (`normalizePassword`): the hasher takes it as
 * it is, so a login normalises its password once, not once per hashing step. It never prints its
 * value (a log line or an error that carries it shows `[password]`).
 */
export class NormalizedPassword {
  readonly #value: string;
  constructor(value: string) {
    this.#value = checkPasswordInput(value);
  }
  get value(): string {
    return this.#value;
  }
  toString(): string {
    return '[password]';
  }
  toJSON(): string {
    return '[password]';
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return '[password]';
  }
}

/** `password_too_long` (400) before any hashing, else the password to hash or verify, normalised once. */
export const normalizePassword = (password: string) => new NormalizedPassword(password);

/** What the hasher hashes: a password normalised before, as is; any other, normalised now. */
const hashInput = (password: string | NormalizedPassword) =>
  password instanceof NormalizedPassword ? password.value : checkPasswordInput(password);

/** Throws `password_too_long` (400) for input over 1024 bytes; Unicode is welcome. */
export function checkPasswordInput(password: string): string {
  if (Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES) {
    throw new AuthError('password_too_long', 400, `passwords are limited to ${MAX_PASSWORD_BYTES} bytes`);
  }
  // NIST SP 800-63B §5.1.1.2: normalise so the same password typed on two keyboards matches.
  const normalized = password.normalize('NFKC');
  // Some characters expand under NFKC (U+FDFA → 18); the bound holds for what argon2 hashes too.
  if (Buffer.byteLength(normalized, 'utf8') > MAX_PASSWORD_BYTES) {
    throw new AuthError('password_too_long', 400, `passwords are limited to ${MAX_PASSWORD_BYTES} bytes`);
  }
  return normalized;
}

/** Policy for a password being set (not for a login attempt). */
export function checkNewPassword(password: string): string {
  const normalized = checkPasswordInput(password);
  if ([...normalized].length < MIN_PASSWORD_LENGTH) {
    throw new AuthError('weak_password', 400, `passwords need at least ${MIN_PASSWORD_LENGTH} characters`);
  }
  return normalized;
}

export interface VerifyResult {
  ok: boolean;
  /** The hash is bcrypt or has older argon2 parameters: store a new one (only after `ok`). */
  needsRehash: boolean;
}

type HashKind = 'argon2' | 'bcrypt' | 'unknown';

const kindOf = (hash: string): HashKind =>
  /^\$2[aby]\$/.test(hash) ? 'bcrypt' : hash.startsWith('$argon2') ? 'argon2' : 'unknown';

/**
 * Hashes with argon2id and verifies argon2 (any parameters) and legacy bcrypt hashes; bcrypt runs
 * on worker threads (`BcryptPool`), never on the event loop.
 *
 * @example
 * const hasher = await PasswordHasher.create();
 * const hash = await hasher.hash('correct-horse-battery-staple');
 * (await hasher.verify(hash, 'correct-horse-battery-staple')).ok; // true
 */
export class PasswordHasher {
  readonly params: Argon2Params;
  readonly #dummyArgon2: string;
  readonly #dummyBcrypt: string;
  readonly #bcrypt: BcryptPool;

  private constructor(params: Argon2Params, dummies: { argon2: string; bcrypt: string }, pool: BcryptPool) {
    this.params = params;
    this.#dummyArgon2 = dummies.argon2;
    this.#dummyBcrypt = dummies.bcrypt;
    this.#bcrypt = pool;
  }

  static async create(params: Argon2Params = DEFAULT_ARGON2): Promise<PasswordHasher> {
    assertStrongArgon2(params);
    const secret = randomBytes(32).toString('base64url');
    const [argon2Dummy, bcryptDummy] = await Promise.all([
      argon2.hash(secret, { type: argon2.argon2id, ...params }),
      bcrypt.hash(secret, LEGACY_BCRYPT_COST),
    ]);
    return new PasswordHasher(params, { argon2: argon2Dummy, bcrypt: bcryptDummy }, new BcryptPool());
  }

  async hash(password: string | NormalizedPassword): Promise<string> {
    return argon2.hash(hashInput(password), { type: argon2.argon2id, ...this.params });
  }

  async verify(hash: string, password: string | NormalizedPassword): Promise<VerifyResult> {
    return this.#verify(hash, hashInput(password), kindOf(hash));
  }

  /**
   * A login's verification: `hash` is the account's, or null for an unknown or disabled account.
   * Every failure does the same work, one argon2id and one bcrypt verification (the path's own
   * plus a dummy of the other kind), so neither the answer nor its timing tells whether the
   * account exists or how old its hash is (ASVS 4.0.3 V2.2.1 / OWASP enumeration). A success
   * returns at once: whoever sent it knows the password already.
   */
  async verifyLogin(hash: string | null, password: string | NormalizedPassword): Promise<VerifyResult> {
    const input = hashInput(password);
    const kind = hash === null ? 'unknown' : kindOf(hash);
    const result = hash === null ? FAILED : await this.#verify(hash, input, kind);
    if (result.ok) return result;
    if (kind !== 'argon2') await this.#argon2(this.#dummyArgon2, input);
    if (kind !== 'bcrypt') await this.#bcrypt.compare(input, this.#dummyBcrypt);
    return result;
  }

  /** The work of a failed login for an account that does not exist: `verifyLogin(null, password)`. */
  async verifyDummy(password: string | NormalizedPassword): Promise<false> {
    await this.verifyLogin(null, password);
    return false;
  }

  /** Stops the bcrypt workers. */
  close(): Promise<void> {
    return this.#bcrypt.close();
  }

  async #verify(hash: string, input: string, kind: HashKind): Promise<VerifyResult> {
    if (kind === 'bcrypt') {
      // Over 72 bytes never matches; the dummy keeps the cost of a real comparison.
      if (Buffer.byteLength(input, 'utf8') > BCRYPT_MAX_BYTES) {
        await this.#bcrypt.compare(input.slice(0, BCRYPT_MAX_BYTES), this.#dummyBcrypt);
        return FAILED;
      }
      return (await this.#bcrypt.compare(input, hash)) ? { ok: true, needsRehash: true } : FAILED;
    }
    if (kind === 'argon2') {
      const ok = await this.#argon2(hash, input);
      if (!ok) return FAILED;
      return { ok, needsRehash: !hash.startsWith('$argon2id$') || argon2.needsRehash(hash, this.params) };
    }
    return FAILED;
  }

  async #argon2(hash: string, input: string): Promise<boolean> {
    try {
      return await argon2.verify(hash, input);
    } catch {
      return false; // a corrupt hash never signs anyone in
    }
  }
}

const FAILED: VerifyResult = Object.freeze({ ok: false, needsRehash: false });

/** A bcrypt hash, for seeding the legacy account that the migration lab uses. */
export function legacyBcryptHash(password: string, cost = LEGACY_BCRYPT_COST): Promise<string> {
  return bcrypt.hash(password.normalize('NFKC'), cost);
}
