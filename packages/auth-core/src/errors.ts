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

/** Start-up refused because of `DATA_DIR`; the message names the file and what to do. */
export class DataDirError extends Error {
  readonly code = 'data_dir';
  constructor(message: string) {
    super(message);
    this.name = 'DataDirError';
  }
}
