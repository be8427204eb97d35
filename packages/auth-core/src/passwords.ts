import { randomBytes } from 'node:crypto';
import argon2 from 'argon2';
import bcrypt from 'bcryptjs';
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

/**
 * Hashes with argon2id and verifies argon2 (any parameters) and legacy bcrypt hashes.
 *
 * @example
 * const hasher = await PasswordHasher.create();
 * const hash = await hasher.hash('correct-horse-battery-staple');
 * (await hasher.verify(hash, 'correct-horse-battery-staple')).ok; // true
 */
export class PasswordHasher {
  readonly params: Argon2Params;
  readonly #dummyHash: string;

  private constructor(params: Argon2Params, dummyHash: string) {
    this.params = params;
    this.#dummyHash = dummyHash;
  }

  static async create(params: Argon2Params = DEFAULT_ARGON2): Promise<PasswordHasher> {
    assertStrongArgon2(params);
    const dummy = await argon2.hash(randomBytes(32), { type: argon2.argon2id, ...params });
    return new PasswordHasher(params, dummy);
  }

  async hash(password: string | NormalizedPassword): Promise<string> {
    return argon2.hash(hashInput(password), { type: argon2.argon2id, ...this.params });
  }

  async verify(hash: string, password: string | NormalizedPassword): Promise<VerifyResult> {
    const input = hashInput(password);
    if (/^\$2[aby]\$/.test(hash)) {
      if (Buffer.byteLength(input, 'utf8') > BCRYPT_MAX_BYTES) return { ok: false, needsRehash: false };
      try {
        return { ok: await bcrypt.compare(input, hash), needsRehash: true };
      } catch {
        return { ok: false, needsRehash: false }; // a corrupt hash never signs anyone in
      }
    }
    if (hash.startsWith('$argon2')) {
      try {
        const ok = await argon2.verify(hash, input);
        const needsRehash = !hash.startsWith('$argon2id$') || argon2.needsRehash(hash, this.params);
        return { ok, needsRehash };
      } catch {
        return { ok: false, needsRehash: false }; // a corrupt hash never signs anyone in
      }
    }
    return { ok: false, needsRehash: false };
  }

  /**
   * The same argon2 work as a real verification, for unknown or disabled accounts, so neither the
   * answer nor its timing tells whether an account exists (ASVS 4.0.3 V2.2.1 / OWASP enumeration).
   */
  async verifyDummy(password: string | NormalizedPassword): Promise<false> {
    await argon2.verify(this.#dummyHash, hashInput(password));
    return false;
  }
}

/** A bcrypt hash, for seeding the legacy account that the migration lab uses. */
export function legacyBcryptHash(password: string, cost = 10): Promise<string> {
  return bcrypt.hash(password.normalize('NFKC'), cost);
}
