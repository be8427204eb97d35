import { EventEmitter } from 'node:events';
import {
  InvalidGrantError,
  NativeAuthError,
  NotSignedInError,
  type TokenSet,
  type TokenSource,
  type Vault,
} from './types.ts';

export interface TokenManagerOptions {
  source: TokenSource;
  vault: Vault;
  /** The vault entry, e.g. `oidc:http://localhost:4000` (one per server and mode). */
  account: string;
  clock?: () => number;
  /** Refresh this long before expiry; default min(30 s, a fifth of the token's lifetime). */
  marginMs?: (lifetimeMs: number) => number;
  /** Transient refresh failures are retried this many times, with exponential backoff. */
  retries?: number;
  backoffMs?: number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  fetch?: typeof fetch;
  /** Schedule a silent refresh ahead of expiry (off in one-shot CLIs; on in long-lived apps). */
  autoRefresh?: boolean;
}

/** What the vault holds for one account (opaque to the vault). */
interface StoredSecret {
  refreshToken: string;
  idToken?: string | undefined;
  mode: string;
}

export interface TokenManagerEvents {
  'signed-in': [{ mode: string }];
  refreshed: [{ expiresAt: number }];
  'refresh-failed': [{ error: Error; attempt: number; retryInMs: number | null }];
  'signed-out': [{ reason: 'user' | 'revoked'; detail?: string }];
}

export interface TokenStatus {
  mode: string;
  signedIn: boolean;
  /** ms epoch, or null when no access token is held in memory. */
  accessTokenExpiresAt: number | null;
  vault: string;
}

const defaultMargin = (lifetimeMs: number) => Math.min(30_000, lifetimeMs / 5);

const abortableSleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });

/**
 * Holds a signed-in session for a native client, the same way for both token modes: the access
 * token in memory, the refresh token in a vault.
 *
 * - **Single-flight**: any number of concurrent callers share one refresh request, so a rotated
 *   refresh token is never presented twice (which the server would treat as theft).
 * - **Rotation-safe**: the new refresh token is written to the vault before the new access token
 *   is handed to anyone; a crash in between loses nothing usable.
 * - **Offline is not signed out**: network failures and 5xx keep the tokens and are retried with
 *   backoff; only the server's `invalid_grant` clears the vault and emits `signed-out`.
 * - `fetch` attaches the Bearer token and, on a 401, refreshes once and retries once.
 *
 * @example
 * const manager = new TokenManager({ source, vault, account: 'oidc:http://localhost:4000' });
 * await manager.signIn(await authorizer.authorize().then((r) => r.tokens));
 * const response = await manager.fetch('http://localhost:4000/api/me');
 */
export class TokenManager extends EventEmitter<TokenManagerEvents> {
  readonly #o: Required<Omit<TokenManagerOptions, 'fetch'>> & { fetch: typeof fetch };
  #accessToken: string | null = null;
  #expiresAt = 0;
  #lifetimeMs = 0;
  #refreshToken: string | null = null;
  #idToken: string | undefined;
  #inflight: Promise<string> | null = null;
  #timer: NodeJS.Timeout | null = null;
  #closed = new AbortController();

  constructor(options: TokenManagerOptions) {
    super();
    // `??`, not a spread under the defaults: an option passed as `undefined` takes its default.
    this.#o = {
      ...options,
      clock: options.clock ?? Date.now,
      marginMs: options.marginMs ?? defaultMargin,
      retries: options.retries ?? 3,
      backoffMs: options.backoffMs ?? 500,
      sleep: options.sleep ?? abortableSleep,
      autoRefresh: options.autoRefresh ?? false,
      fetch: options.fetch ?? globalThis.fetch.bind(globalThis),
    };
  }

  get mode(): string {
    return this.#o.source.mode;
  }

  /** Takes the tokens of a fresh sign-in: the refresh token goes to the vault first. */
  async signIn(tokens: TokenSet): Promise<void> {
    if (!tokens.refreshToken) throw new NativeAuthError('no_refresh_token', 'the sign-in returned no refresh token');
    await this.#persist(tokens.refreshToken, tokens.idToken);
    this.#hold(tokens);
    this.emit('signed-in', { mode: this.mode });
  }

  /** Whether the vault (or memory) holds a refresh token for this account. */
  async isSignedIn(): Promise<boolean> {
    return (await this.#loadRefreshToken()) !== null;
  }

  status(): TokenStatus {
    return {
      mode: this.mode,
      signedIn: this.#refreshToken !== null || this.#accessToken !== null,
      accessTokenExpiresAt: this.#accessToken ? this.#expiresAt : null,
      vault: this.#o.vault.kind,
    };
  }

  /** A valid access token: the one in memory, or a fresh one (shared by every concurrent caller). */
  async getAccessToken(): Promise<string> {
    if (this.#accessToken && this.#o.clock() < this.#expiresAt - this.#o.marginMs(this.#lifetimeMs)) {
      return this.#accessToken;
    }
    return this.refresh();
  }

  /** Refreshes now (single-flight: joins a refresh already in flight). */
  refresh(): Promise<string> {
    this.#inflight ??= this.#refreshWithRetries().finally(() => {
      this.#inflight = null;
    });
    return this.#inflight;
  }

  /** `fetch` with the Bearer token; a 401 refreshes once and retries once. */
  async fetch(input: string | URL, init: RequestInit = {}): Promise<Response> {
    const attempt = async (token: string) => {
      const headers = new Headers(init.headers);
      headers.set('Authorization', `Bearer ${token}`);
      return this.#o.fetch(input, { ...init, headers });
    };
    const token = await this.getAccessToken();
    const response = await attempt(token);
    if (response.status !== 401) return response;
    // Another caller may have refreshed meanwhile: only force a refresh if our token is still current.
    const fresh = this.#accessToken && this.#accessToken !== token ? this.#accessToken : await this.refresh();
    return attempt(fresh);
  }

  /**
   * Signs out: revokes the refresh token at the server (best effort: offline, the local copy is
   * still wiped), wipes the vault, and returns the provider's end-session URL where there is one
   * (OIDC), for the caller to open in the browser.
   */
  async signOut(): Promise<{ revoked: boolean; endSessionUrl?: string | undefined }> {
    const refreshToken = await this.#loadRefreshToken();
    let revoked = false;
    try {
      await this.#o.source.revoke({
        refreshToken: refreshToken ?? undefined,
        accessToken: this.#accessToken ?? undefined,
      });
      revoked = true;
    } catch {
      revoked = false;
    }
    const endSessionUrl = await this.#o.source.endSessionUrl?.(this.#idToken).catch(() => undefined);
    await this.#clear();
    this.emit('signed-out', { reason: 'user' });
    return { revoked, endSessionUrl };
  }

  /** Stops the silent-refresh timer and any backoff wait (the tokens stay in the vault). */
  close(): void {
    this.#closed.abort(new NativeAuthError('closed', 'the token manager was closed'));
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }

  async #refreshWithRetries(): Promise<string> {
    const refreshToken = await this.#loadRefreshToken();
    if (!refreshToken) throw new NotSignedInError();
    for (let attempt = 1; ; attempt++) {
      try {
        const tokens = await this.#o.source.refresh(refreshToken, this.#closed.signal);
        // Rotation-safe: persist the successor before anyone can use the new access token.
        if (tokens.refreshToken && tokens.refreshToken !== refreshToken) {
          await this.#persist(tokens.refreshToken, tokens.idToken ?? this.#idToken);
        }
        this.#hold(tokens);
        this.emit('refreshed', { expiresAt: this.#expiresAt });
        return tokens.accessToken;
      } catch (error) {
        if (error instanceof InvalidGrantError) {
          await this.#clear();
          this.emit('signed-out', { reason: 'revoked', detail: error.message });
          throw error;
        }
        const last = attempt > this.#o.retries;
        const retryInMs = last ? null : this.#o.backoffMs * 2 ** (attempt - 1);
        this.emit('refresh-failed', { error: error as Error, attempt, retryInMs });
        if (retryInMs === null) {
          throw new NativeAuthError(
            'refresh_unavailable',
            `could not reach the server to refresh: ${(error as Error).message}`,
            {
              cause: error,
            },
          );
        }
        await this.#o.sleep(retryInMs, this.#closed.signal);
      }
    }
  }

  #hold(tokens: TokenSet): void {
    const now = this.#o.clock();
    this.#accessToken = tokens.accessToken;
    this.#lifetimeMs = tokens.expiresIn * 1000;
    this.#expiresAt = now + this.#lifetimeMs;
    if (tokens.refreshToken) this.#refreshToken = tokens.refreshToken;
    if (tokens.idToken) this.#idToken = tokens.idToken;
    this.#schedule();
  }

  #schedule(): void {
    if (!this.#o.autoRefresh) return;
    if (this.#timer) clearTimeout(this.#timer);
    const due = this.#expiresAt - this.#o.marginMs(this.#lifetimeMs) - this.#o.clock();
    this.#timer = setTimeout(
      () => {
        this.refresh().catch(() => {
          // Reported through 'refresh-failed' / 'signed-out'; the next call retries.
        });
      },
      Math.max(0, due),
    );
    this.#timer.unref();
  }

  async #persist(refreshToken: string, idToken: string | undefined): Promise<void> {
    const secret: StoredSecret = { refreshToken, mode: this.mode, ...(idToken ? { idToken } : {}) };
    await this.#o.vault.set(this.#o.account, JSON.stringify(secret));
    this.#refreshToken = refreshToken;
  }

  async #loadRefreshToken(): Promise<string | null> {
    if (this.#refreshToken) return this.#refreshToken;
    const raw = await this.#o.vault.get(this.#o.account);
    if (!raw) return null;
    try {
      const secret = JSON.parse(raw) as StoredSecret;
      if (typeof secret.refreshToken !== 'string') return null;
      this.#refreshToken = secret.refreshToken;
      this.#idToken = secret.idToken;
      return secret.refreshToken;
    } catch {
      return null;
    }
  }

  async #clear(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#accessToken = null;
    this.#refreshToken = null;
    this.#idToken = undefined;
    this.#expiresAt = 0;
    await this.#o.vault.delete(this.#o.account);
  }
}
