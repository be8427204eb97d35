import { NativeAuthError } from '@authlab/native-client';
import type { AppState } from './app-state.ts';
import { toPlainError } from './plain-errors.ts';
import type { SessionClient, SessionInfo } from './session-client.ts';

/**
 * The session mode as a panel: the server keeps the state, the app keeps an opaque cookie in the
 * main process. "Time left" is the session's own expiry (idle timeout, which every request
 * pushes back, capped by the absolute lifetime); "refresh" is a request that slides it.
 */
export class SessionPanel {
  readonly mode = 'session' as const;
  readonly #client: SessionClient;
  readonly #state: AppState;
  readonly #server: string;

  constructor(options: { client: SessionClient; state: AppState; server: string }) {
    this.#client = options.client;
    this.#state = options.state;
    this.#server = options.server;
  }

  async signIn(email: string, password: string): Promise<void> {
    const user = await this.#client.login(email, password);
    this.#state.update(this.mode, {
      status: 'signed-in',
      user: { sub: user.id, email: user.email, role: user.role },
      error: null,
    });
    this.#state.log(this.mode, 'sign-in', 'Signed in with a password; the session cookie stays in the main process');
    await this.#show(await this.#client.me());
  }

  async restore(): Promise<void> {
    if (!(await this.#client.hasCookie())) return;
    try {
      await this.#show(await this.#client.me());
      this.#state.log(this.mode, 'restored', 'Signed in again with the saved session cookie');
    } catch (error) {
      this.#failed(error);
    }
  }

  async callApi(): Promise<void> {
    const response = await this.#client.request('/api/me');
    const body = await response.json().catch(() => null);
    this.#state.update(this.mode, { lastCall: { at: this.#state.now(), status: response.status, body }, error: null });
    const mode = (body as { mode?: string } | null)?.mode;
    this.#state.log(this.mode, 'api-call', `GET /api/me → ${response.status}${response.ok ? ` (mode ${mode})` : ''}`);
    if (response.status === 401) {
      // Ask the session endpoint why: it tells an ended session (signs the panel out) from the rest.
      await this.#client.me().catch((error: unknown) => this.#failed(error));
    }
  }

  /** `/session/me`: proves the session is alive and slides its idle timeout. */
  async refresh(): Promise<void> {
    try {
      const info = await this.#client.me();
      const panel = this.#state.panel(this.mode);
      this.#state.update(this.mode, { refreshCount: panel.refreshCount + 1, lastRefreshAt: this.#state.now() });
      this.#state.log(this.mode, 'refresh', 'Session checked at the server; its idle timeout starts again');
      await this.#show(info);
    } catch (error) {
      this.#failed(error);
      throw error;
    }
  }

  async recheck(): Promise<void> {
    if (this.#state.panel(this.mode).status !== 'signed-in') return;
    await this.refresh().catch(() => {
      // Shown in the panel by #failed.
    });
  }

  async signOut(everywhere: boolean): Promise<void> {
    try {
      await this.#client.logout(everywhere);
    } catch (error) {
      // The jar is already empty: signed out here, whatever the server heard.
      const plain = toPlainError(new NativeAuthError('signed_out_offline', (error as Error).message));
      this.#state.log(this.mode, 'sign-out', 'Signed out here; the server could not be told');
      this.#state.signedOut(this.mode, plain);
      return;
    }
    this.#state.log(
      this.mode,
      everywhere ? 'sign-out-everywhere' : 'sign-out',
      everywhere
        ? 'Every session, refresh family and grant of this person ended at the server'
        : 'Signed out; the server deleted the session record',
    );
    this.#state.signedOut(this.mode, null);
  }

  async #show(info: SessionInfo): Promise<void> {
    this.#state.update(this.mode, {
      status: 'signed-in',
      user: { sub: info.user.id, email: info.user.email, role: info.user.role },
      expiresAt: Date.parse(info.session.expiresAt),
      validFrom: this.#state.now(),
      expiresWhat: 'Session expires (if idle) in',
      claims: { user: info.user, session: info.session },
      claimsSource: `the server's session record (${this.#server}/session/me); the cookie is an opaque id`,
      error: null,
    });
  }

  /** The session is gone at the server: signed out with the reason; offline: still signed in. */
  #failed(error: unknown): void {
    const plain = toPlainError(error);
    if (plain.code === 'session_ended') {
      this.#state.log(
        this.mode,
        'revoked',
        'The server no longer knows this session (signed out elsewhere or expired)',
      );
      this.#state.signedOut(this.mode, plain);
    } else {
      this.#state.update(this.mode, { error: plain });
    }
  }
}
