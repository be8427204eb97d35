/** Tokens as a sign-in or a refresh hands them over. */
export interface TokenSet {
  accessToken: string;
  /** Seconds from issue, as the server said (`expires_in`). */
  expiresIn: number;
  /** Absent when the server did not rotate it (the old one stays valid). */
  refreshToken?: string | undefined;
  /** OIDC only: kept for end-session (`id_token_hint`). */
  idToken?: string | undefined;
}

/**
 * Where a refresh token lives between runs: an opaque secret per account. Implementations: the
 * OS key store, an opt-in file, memory (tests), and Electron's safeStorage in the desktop app.
 */
export interface Vault {
  /** Shown to people: `keyring (Secret Service)`, `file (~/.config/authlab/vault.json)`, … */
  readonly kind: string;
  get(account: string): Promise<string | null>;
  set(account: string, secret: string): Promise<void>;
  delete(account: string): Promise<void>;
}

export type AuthMode = 'oidc' | 'jwt';

/**
 * One token mode as the token manager sees it. `refresh` throws `InvalidGrantError` when the
 * server refused the refresh token (revoked, replayed, expired) and anything else for transient
 * failures (network down, 5xx), which never sign anyone out.
 */
export interface TokenSource {
  readonly mode: AuthMode;
  refresh(refreshToken: string, signal?: AbortSignal): Promise<TokenSet>;
  /** Server-side sign-out of the refresh token (RFC 7009 for OIDC, /jwt/logout for JWT). */
  revoke(tokens: { refreshToken?: string | undefined; accessToken?: string | undefined }): Promise<void>;
  /** OIDC RP-initiated logout: the URL to open in the browser, where the provider supports it. */
  endSessionUrl?(idToken: string | undefined): Promise<string | undefined>;
}

/** Errors as values with a stable `code`, for UIs and exit codes. */
export class NativeAuthError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'NativeAuthError';
    this.code = code;
  }
}

/** The server refused the refresh token: the session is over, only a new sign-in helps. */
export class InvalidGrantError extends NativeAuthError {
  constructor(message = 'the server refused the refresh token (revoked, reused or expired)', options?: ErrorOptions) {
    super('invalid_grant', message, options);
    this.name = 'InvalidGrantError';
  }
}

/** No refresh token in the vault and none in memory: sign in first. */
export class NotSignedInError extends NativeAuthError {
  constructor() {
    super('not_signed_in', 'not signed in: run the login first');
    this.name = 'NotSignedInError';
  }
}
