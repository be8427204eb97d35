/**
 * Errors are values with a stable `code` (the JSON `error` field) and the HTTP status the web
 * layer maps them to, in one place. Nothing here knows about Koa.
 */
export class AuthError extends Error {
  readonly code: string;
  readonly status: number;
  /** Seconds, for `Retry-After` on 429. */
  readonly retryAfterSec: number | undefined;

  constructor(code: string, status: number, message?: string, retryAfterSec?: number) {
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
