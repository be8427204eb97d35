import * as client from 'openid-client';

/** A refused federated sign-in; `code` is the `error` shown on /login. */
export class FederationError extends Error {
  readonly code: string;
  /** Logged with the refusal, for the operator (never shown to the person signing in). */
  readonly detail: Record<string, string> | undefined;
  constructor(code: string, message: string, options?: ErrorOptions & { detail?: Record<string, string> }) {
    super(message, options);
    this.name = 'FederationError';
    this.code = code;
    this.detail = options?.detail;
  }
}

/** Longer texts from the provider are cut: they go into our logs, which must stay readable. */
const MAX_UPSTREAM_TEXT = 300;

/**
 * The provider's own `error` and `error_description` (RFC 6749 §4.1.2.1 at the callback, §5.2 at
 * the token endpoint, RFC 6750 §3 from UserInfo), when the cause carries them: what an operator
 * needs to fix the registration (`invalid_client`, `unauthorized_client`, AADSTS… codes).
 */
export function upstreamErrorOf(cause: unknown): { upstream_error?: string; upstream_error_description?: string } {
  const texts = (error: unknown, description: unknown) => ({
    ...(typeof error === 'string' ? { upstream_error: error.slice(0, MAX_UPSTREAM_TEXT) } : {}),
    ...(typeof description === 'string' ? { upstream_error_description: description.slice(0, MAX_UPSTREAM_TEXT) } : {}),
  });
  if (cause instanceof client.ResponseBodyError || cause instanceof client.AuthorizationResponseError) {
    return texts(cause.error, cause.error_description);
  }
  if (cause instanceof client.WWWAuthenticateChallengeError) {
    const [challenge] = cause.cause;
    return texts(challenge?.parameters.error, challenge?.parameters.error_description);
  }
  return {};
}
