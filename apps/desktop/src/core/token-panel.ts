import {
  InvalidGrantError,
  NativeAuthError,
  TokenManager,
  type TokenManagerOptions,
  type TokenSet,
  type TokenSource,
  type Vault,
} from '@authlab/native-client';
import type { TimelineKind } from './api.ts';
import type { AppState } from './app-state.ts';
import { toPlainError } from './plain-errors.ts';
import { decodeClaims } from './token-claims.ts';

/** Refresh timing knobs of the token manager (tests shorten them). */
export type TokenTiming = Pick<TokenManagerOptions, 'marginMs' | 'retries' | 'backoffMs' | 'sleep'>;

export interface TokenPanelOptions {
  source: TokenSource;
  vault: Vault;
  /** Base URL of the API the panel calls (`<api>/api/me`): the authlab server, or another API. */
  api: string;
  /** The vault entry, e.g. `oidc:http://localhost:4000`. */
  account: string;
  state: AppState;
  fetch: typeof fetch;
  clock: () => number;
  timing?: TokenTiming | undefined;
}

/** Why the next refresh happens, for the timeline; a refresh nobody asked for is the silent one. */
type RefreshReason = Extract<TimelineKind, 'refresh' | '401-retry' | 'silent-refresh' | 'restored'> | 'life-event';

/**
 * One token mode (OIDC or JWT) as a panel: a `TokenManager` (refresh token in the vault, access
 * token in memory, silent refresh ahead of expiry) whose events become the panel's state and
 * the timeline. The access token itself never leaves this object: the window sees its claims.
 */
export class TokenPanel {
  readonly mode: 'oidc' | 'jwt';
  readonly #o: TokenPanelOptions;
  readonly #manager: TokenManager;
  #reason: RefreshReason = 'silent-refresh';

  constructor(options: TokenPanelOptions) {
    this.#o = options;
    this.mode = options.source.mode;
    const observed: TokenSource = {
      mode: options.source.mode,
      refresh: async (refreshToken, signal) => {
        const tokens = await options.source.refresh(refreshToken, signal);
        this.#showTokens(tokens);
        return tokens;
      },
      revoke: (tokens) => options.source.revoke(tokens),
      ...(options.source.endSessionUrl
        ? {
            endSessionUrl: (idToken: string | undefined) =>
              options.source.endSessionUrl?.(idToken) ?? Promise.resolve(undefined),
          }
        : {}),
    };
    this.#manager = new TokenManager({
      source: observed,
      vault: options.vault,
      account: options.account,
      clock: options.clock,
      autoRefresh: true,
      retries: 2,
      backoffMs: 1_000,
      ...options.timing,
      fetch: this.#observedFetch(options.fetch),
    });
    this.#manager.on('refreshed', () => this.#onRefreshed());
    this.#manager.on('refresh-failed', ({ error, retryInMs }) => {
      const retry = retryInMs === null ? 'giving up for now' : `retrying in ${Math.round(retryInMs / 1000)} s`;
      this.#log('refresh-failed', `Refresh failed (${error.message}); tokens kept, ${retry}`);
      if (retryInMs === null) this.#state.update(this.mode, { error: toPlainError(error), busy: null });
    });
    this.#manager.on('signed-out', ({ reason, detail }) => {
      if (reason === 'revoked') {
        this.#log('revoked', `Signed out by the server: ${detail ?? 'refresh token refused'}`);
        this.#state.signedOut(this.mode, toPlainError(new InvalidGrantError(detail)));
      } else {
        this.#log('sign-out', 'Signed out; refresh token revoked and wiped from the vault');
        this.#state.signedOut(this.mode, null);
      }
    });
  }

  get #state(): AppState {
    return this.#o.state;
  }

  /** Takes a fresh sign-in's tokens: saved to the vault first, then shown. */
  async signIn(tokens: TokenSet, how: string): Promise<void> {
    this.#reason = 'silent-refresh';
    await this.#manager.signIn(tokens);
    this.#showTokens(tokens);
    this.#state.update(this.mode, { status: 'signed-in', busy: null, error: null });
    this.#log('sign-in', how);
    await this.#whoAmI(tokens.idToken);
  }

  /** At start: a refresh token in the vault signs the panel in silently. */
  async restore(): Promise<void> {
    if (!(await this.#manager.isSignedIn())) return;
    this.#state.update(this.mode, { status: 'signed-in', busy: 'Restoring…' });
    this.#reason = 'restored';
    try {
      await this.#manager.refresh();
      await this.#whoAmI();
    } catch (error) {
      // Offline: still signed in (the refresh token is kept), the next refresh tries again.
      if (!(error instanceof InvalidGrantError)) this.#state.update(this.mode, { error: toPlainError(error) });
    } finally {
      this.#state.update(this.mode, { busy: null });
    }
  }

  async callApi(): Promise<void> {
    const response = await this.#manager.fetch(`${this.#o.api}/api/me`);
    const body = await readBody(response);
    this.#state.update(this.mode, { lastCall: { at: this.#state.now(), status: response.status, body }, error: null });
    this.#log(
      'api-call',
      `GET /api/me → ${response.status}${response.ok ? ` (mode ${(body as { mode?: string }).mode})` : ''}`,
    );
  }

  async refresh(reason: RefreshReason = 'refresh'): Promise<void> {
    this.#reason = reason;
    this.#state.update(this.mode, { busy: 'Refreshing…' });
    try {
      await this.#manager.refresh();
    } finally {
      this.#state.update(this.mode, { busy: null });
    }
  }

  /** Life events and "signed out everywhere" elsewhere: only a signed-in panel refreshes. */
  async recheck(): Promise<void> {
    if (this.#state.panel(this.mode).status !== 'signed-in') return;
    await this.refresh('life-event').catch(() => {
      // Reported by the manager's events (offline keeps the tokens; revoked signs out).
    });
  }

  /**
   * Signs out here (revoke + wipe), or everywhere first (`/api/logout-all`: every session,
   * refresh family and grant of the person, in all three modes). Returns the provider's
   * end-session URL where there is one.
   */
  async signOut(everywhere: boolean): Promise<string | undefined> {
    if (everywhere) {
      const response = await this.#manager.fetch(`${this.#o.api}/api/logout-all`, { method: 'POST' });
      if (response.status !== 204) {
        throw new NativeAuthError('logout_all_failed', `the server answered ${response.status} to sign-out everywhere`);
      }
      this.#log('sign-out-everywhere', 'Every session, refresh family and grant of this person ended at the server');
    }
    const { revoked, endSessionUrl } = await this.#manager.signOut();
    if (!revoked) {
      this.#log(
        'sign-out',
        'The server could not be told: the refresh token is wiped here but valid there until it expires',
      );
      this.#state.update(this.mode, {
        error: toPlainError(new NativeAuthError('signed_out_offline', 'revoke failed')),
      });
    }
    return endSessionUrl;
  }

  close(): void {
    this.#manager.close();
  }

  /**
   * Who is signed in: the authlab API's `/api/me`, else (another provider's API, one that answers a
   * page, or none) the ID token's claims. Never throws: the sign-in is already stored.
   */
  async #whoAmI(idToken?: string): Promise<void> {
    const me = await this.#manager
      .fetch(`${this.#o.api}/api/me`)
      .then(async (response) => (response.ok ? ((await readBody(response)) as Record<string, unknown> | null) : null))
      .catch(() => null);
    if (typeof me?.sub === 'string' && typeof me.email === 'string' && typeof me.role === 'string') {
      this.#state.update(this.mode, { user: { sub: me.sub, email: me.email, role: me.role } });
      return;
    }
    const claims = idToken ? decodeClaims(idToken) : null;
    const name = [claims?.email, claims?.preferred_username, claims?.upn, claims?.sub].find(
      (v) => typeof v === 'string',
    );
    if (typeof claims?.sub === 'string' && typeof name === 'string') {
      this.#state.update(this.mode, { user: { sub: claims.sub, email: name, role: 'from the ID token' } });
    }
  }

  #showTokens(tokens: TokenSet): void {
    const claims = decodeClaims(tokens.accessToken);
    const exp = typeof claims?.exp === 'number' ? claims.exp * 1000 : null;
    const iat = typeof claims?.iat === 'number' ? claims.iat * 1000 : null;
    this.#state.update(this.mode, {
      validFrom: iat ?? this.#o.clock(),
      claims,
      claimsSource: 'the access token, decoded in the main process (the token itself never reaches this window)',
      expiresAt: exp ?? this.#o.clock() + tokens.expiresIn * 1000,
    });
  }

  #onRefreshed(): void {
    const reason = this.#reason;
    this.#reason = 'silent-refresh';
    const panel = this.#state.panel(this.mode);
    this.#state.update(this.mode, {
      status: 'signed-in',
      refreshCount: panel.refreshCount + 1,
      lastRefreshAt: this.#state.now(),
      error: null,
    });
    const words: Record<RefreshReason, string> = {
      'silent-refresh': 'Silent refresh ahead of expiry: new access token, refresh token rotated',
      refresh: 'Refreshed on request: new access token, refresh token rotated',
      '401-retry': 'Refreshed after the API answered 401; the call was retried once',
      'life-event': 'Refreshed after waking up or reconnecting',
      restored: 'Signed in again at start from the saved refresh token',
    };
    this.#log(reason === 'life-event' ? 'refresh' : reason, words[reason]);
  }

  /** The manager's fetch, watched for the 401 that makes it refresh and retry. */
  #observedFetch(inner: typeof fetch): typeof fetch {
    return async (input, init) => {
      const response = await inner(input, init);
      if (response.status === 401) this.#reason = '401-retry';
      return response;
    };
  }

  #log(kind: TimelineKind, text: string): void {
    this.#state.log(this.mode, kind, text);
  }
}

async function readBody(response: Response): Promise<unknown> {
  const text = await response.text();
  try {
    return text ? JSON.parse(text) : null;
  } catch {
    return text.slice(0, 500);
  }
}
