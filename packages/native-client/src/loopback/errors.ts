import { NativeAuthError } from '../types.ts';

/**
 * `browser_failed`, with the URL the browser was to open (the sign-in's one-time start link,
 * which carries no `state` or challenge) for a caller that wants to show it.
 */
export class BrowserOpenError extends NativeAuthError {
  readonly url: string;
  constructor(url: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(
      'browser_failed',
      `could not open a browser (${reason}), so this sign-in stopped. Start it again and open its URL by hand ` +
        `in any browser on this computer; this attempt's URL was ${url}`,
      { cause },
    );
    this.name = 'BrowserOpenError';
    this.url = url;
  }
}

export function timeoutError(ms: number): NativeAuthError {
  const minutes = ms >= 60_000 ? `${Math.round(ms / 60_000)} min` : `${ms} ms`;
  return new NativeAuthError('timeout', `the sign-in did not complete within ${minutes}; start it again`);
}

/** Any failure as a `NativeAuthError`: ours keep their code, anything else is `sign_in_failed`. */
export function asNativeError(error: unknown): NativeAuthError {
  if (error instanceof NativeAuthError) return error;
  return new NativeAuthError('sign_in_failed', error instanceof Error ? error.message : String(error), {
    cause: error,
  });
}
