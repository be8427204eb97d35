/**
 * Errors are values with a stable `code` (the JSON `error` field) and the HTTP status the web
 * layer maps them to, in one place. Nothing here knows about Koa.
 */
/**
 * Every code auth-core answers with, and its HTTP status: a closed set, so a client can switch on
 * `error` exhaustively and a new code is a decision made here, not a string typed in passing.
 */
export const AUTH_ERROR_STATUS = {
  /** Wrong email or password, an unknown or a disabled account: the same answer for all. */
  invalid_credentials: 401,
  /** The login limiter's answer, with `Retry-After`. */
  too_many_attempts: 429,
  /** Over 1024 bytes, refused before any hashing. */
  password_too_long: 400,
  /** A new password under the length policy. */
  weak_password: 400,
  /** A refresh token that is unknown, expired, rotated (replay) or revoked (RFC 6749 §5.2). */
  invalid_grant: 401,
  /** An access token that is malformed, expired, revoked or not ours (RFC 6750 §3.1). */
  invalid_token: 401,
} as const;

export type AuthErrorCode = keyof typeof AUTH_ERROR_STATUS;

export class AuthError extends Error {
  readonly code: AuthErrorCode;
  readonly status: number;
  /** Seconds, for `Retry-After` on 429. */
  readonly retryAfterSec: number | undefined;

  /** `status` is checked against `AUTH_ERROR_STATUS`: the table alone decides a code's status. */
  constructor(code: AuthErrorCode, status: number, message?: string, retryAfterSec?: number) {
    if (AUTH_ERROR_STATUS[code] !== status)
      throw new TypeError(`AuthError ${code} is a ${AUTH_ERROR_STATUS[code]}, not a ${status}`);
    super(message ?? code);
    this.name = 'AuthError';
    this.code = code;
    this.status = status;
    this.retryAfterSec = retryAfterSec;
  }
}

export const invalidCredentials = () => new AuthError('invalid_credentials', 401, 'email or password is wrong');

export const tooManyAttempts = (retryAfterSec: number) =>
  new AuthError('too_many_attempts', 429, 'too many failed sign-in attempts; try again later', retryAfterSec);

/**
 * A key rotation refused because the key it would promote has not been published for as long as
 * a verifier may cache the JWKS: a token it signs now could meet a verifier that does not know it.
 */
export class KeyRotationTooSoonError extends Error {
  readonly code = 'key_rotation_too_soon';
  /** The kid that would become current. */
  readonly kid: string;
  /** When it was published (ms). */
  readonly publishedAt: number;
  /** The earliest time (ms) it may be promoted. */
  readonly safeAt: number;
  constructor(kid: string, publishedAt: number, safeAt: number) {
    super(
      `the next key ${kid} was published at ${new Date(publishedAt).toISOString()}; verifiers may cache the JWKS ` +
        `until ${new Date(safeAt).toISOString()}, and a token it signed before then could be refused by them`,
    );
    this.name = 'KeyRotationTooSoonError';
    this.kid = kid;
    this.publishedAt = publishedAt;
    this.safeAt = safeAt;
  }
}

/** Start-up refused because of `DATA_DIR`; the message names the file and what to do. */
export class DataDirError extends Error {
  readonly code = 'data_dir';
  constructor(message: string) {
    super(message);
    this.name = 'DataDirError';
  }
}
