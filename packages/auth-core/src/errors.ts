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

/** Start-up refused because of `DATA_DIR`; the message names the file and what to do. */
export class DataDirError extends Error {
  readonly code = 'data_dir';
  constructor(message: string) {
    super(message);
    this.name = 'DataDirError';
  }
}
