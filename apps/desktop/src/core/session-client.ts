import { NativeAuthError, oauthError, ServerUnavailableError, type Vault } from '@authlab/native-client';

export interface SessionUser {
  id: string;
  email: string;
  role: string;
}

export interface SessionInfo {
  user: SessionUser;
  session: { createdAt: string; expiresAt: string };
}

export interface SessionClientOptions {
  server: string;
  /** Where the cookie jar is saved between runs (encrypted by the safeStorage vault). */
  vault: Vault;
  account: string;
  fetch?: typeof fetch;
}

/**
 * The session mode from the main process: a cookie jar of its own, for the configured server
 * only. The session cookie never enters the Chromium profile the window lives in, so the page
 * can neither read it nor send it; the jar is saved through the vault (encrypted).
 *
 * Requests carry no `Origin` or `Sec-Fetch-Site`: the server's origin check treats them as a
 * non-browser client, which is what the main process is.
 *
 * @example
 * const client = new SessionClient({ server: 'http://localhost:4000', vault, account: 'session:http://localhost:4000' });
 * await client.login('alice@example.com', password);
 * const { user, session } = await client.me();
 */
export class SessionClient {
  readonly #o: Required<SessionClientOptions>;
  #jar: Map<string, string> | null = null;

  constructor(options: SessionClientOptions) {
    this.#o = { fetch: globalThis.fetch.bind(globalThis), ...options, server: options.server.replace(/\/$/, '') };
  }

  /** Whether the jar holds a cookie (it may still have expired at the server). */
  async hasCookie(): Promise<boolean> {
    return (await this.#cookies()).size > 0;
  }

  async login(email: string, password: string): Promise<SessionUser> {
    const response = await this.request('/session/login', { method: 'POST', json: { email, password } });
    if (!response.ok) throw await failure(response);
    const body = (await response.json()) as { user: SessionUser };
    return body.user;
  }

  /** The server's view of the session; `session_ended` when it no longer exists. */
  async me(): Promise<SessionInfo> {
    const response = await this.request('/session/me');
    if (response.status === 401) {
      await this.forget();
      throw new NativeAuthError('session_ended', 'the server no longer knows this session');
    }
    if (!response.ok) throw await failure(response);
    return (await response.json()) as SessionInfo;
  }

  /** Ends the session at the server (best effort offline) and empties the jar. */
  async logout(everywhere = false): Promise<void> {
    try {
      const response = await this.request(everywhere ? '/session/logout-all' : '/session/logout', { method: 'POST' });
      if (!response.ok && response.status !== 401) throw await failure(response);
    } finally {
      await this.forget();
    }
  }

  async forget(): Promise<void> {
    this.#jar = new Map();
    await this.#o.vault.delete(this.#o.account);
  }

  /** A request to the server with the jar's cookies; `Set-Cookie` updates the jar. */
  async request(path: string, init: { method?: string; json?: unknown } = {}): Promise<Response> {
    const jar = await this.#cookies();
    const headers = new Headers();
    if (jar.size > 0) headers.set('cookie', [...jar].map(([name, value]) => `${name}=${value}`).join('; '));
    if (init.json !== undefined) headers.set('content-type', 'application/json');
    let response: Response;
    try {
      response = await this.#o.fetch(`${this.#o.server}${path}`, {
        method: init.method ?? 'GET',
        headers,
        redirect: 'manual',
        ...(init.json !== undefined ? { body: JSON.stringify(init.json) } : {}),
      });
    } catch (error) {
      throw new ServerUnavailableError(`cannot reach ${this.#o.server}: ${(error as Error).message}`, { cause: error });
    }
    const setCookies = response.headers.getSetCookie();
    if (setCookies.length > 0) await this.#update(jar, setCookies);
    return response;
  }

  async #cookies(): Promise<Map<string, string>> {
    if (this.#jar) return this.#jar;
    const saved = await this.#o.vault.get(this.#o.account);
    const entries = saved ? (JSON.parse(saved) as Record<string, string>) : {};
    this.#jar = new Map(Object.entries(entries));
    return this.#jar;
  }

  async #update(jar: Map<string, string>, lines: string[]): Promise<void> {
    const next = new Map(jar);
    for (const line of lines) {
      const [pair = '', ...attributes] = line.split(';');
      const at = pair.indexOf('=');
      if (at <= 0) continue;
      const name = pair.slice(0, at).trim();
      const value = pair.slice(at + 1).trim();
      const expired = attributes.some((attribute) => {
        const [key = '', raw = ''] = attribute.split('=');
        const field = key.trim().toLowerCase();
        return (field === 'max-age' && Number(raw) <= 0) || (field === 'expires' && Date.parse(raw) <= Date.now());
      });
      if (expired || value === '') next.delete(name);
      else next.set(name, value);
    }
    // Saved before it is used: a crash never leaves a session the app cannot sign out of.
    if (next.size === 0) await this.#o.vault.delete(this.#o.account);
    else await this.#o.vault.set(this.#o.account, JSON.stringify(Object.fromEntries(next)));
    this.#jar = next;
  }
}

async function failure(response: Response): Promise<Error> {
  if (response.status >= 500) return new ServerUnavailableError(`the server answered ${response.status}`);
  const { error, description } = await oauthError(response);
  const retryAfter = response.headers.get('retry-after');
  return new NativeAuthError(error, retryAfter ? `${description} (retry in ${retryAfter} s)` : description);
}
