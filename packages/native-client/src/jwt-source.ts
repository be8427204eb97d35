import { oauthError, ServerUnavailableError } from './http-errors.ts';
import { InvalidGrantError, NativeAuthError, type TokenSet, type TokenSource } from './types.ts';

export interface JwtSourceOptions {
  /** The authlab server, e.g. `http://localhost:4000`. */
  server: string;
  fetch?: typeof fetch;
}

interface TokenResponse {
  access_token: string;
  expires_in: number;
  refresh_token?: string;
}

const toTokenSet = (body: TokenResponse): TokenSet => ({
  accessToken: body.access_token,
  expiresIn: body.expires_in,
  refreshToken: body.refresh_token,
});

/**
 * The JWT mode for native clients: `/jwt/login` with email and password, `/jwt/refresh` (the
 * JSON body variant), `/jwt/logout` to revoke the device's refresh family.
 *
 * @example
 * const source = new JwtSource({ server: 'http://localhost:4000' });
 * const tokens = await source.login('alice@example.com', password, 'my laptop');
 */
export class JwtSource implements TokenSource {
  readonly mode = 'jwt' as const;
  readonly #server: string;
  readonly #fetch: typeof fetch;

  constructor(options: JwtSourceOptions) {
    this.#server = options.server.replace(/\/$/, '');
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  }

  async #post(path: string, body: unknown, signal?: AbortSignal, headers: Record<string, string> = {}) {
    try {
      return await this.#fetch(`${this.#server}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
        ...(signal ? { signal } : {}),
      });
    } catch (error) {
      throw new ServerUnavailableError(`cannot reach ${this.#server}: ${(error as Error).message}`, { cause: error });
    }
  }

  async login(email: string, password: string, deviceName?: string): Promise<TokenSet> {
    const response = await this.#post('/jwt/login', {
      email,
      password,
      ...(deviceName ? { device_name: deviceName } : {}),
    });
    if (response.ok) return toTokenSet((await response.json()) as TokenResponse);
    if (response.status >= 500) throw new ServerUnavailableError(`the server answered ${response.status}`);
    const { error, description } = await oauthError(response);
    const retryAfter = response.headers.get('retry-after');
    throw new NativeAuthError(error, retryAfter ? `${description} (retry in ${retryAfter} s)` : description);
  }

  async refresh(refreshToken: string, signal?: AbortSignal): Promise<TokenSet> {
    const response = await this.#post('/jwt/refresh', { refresh_token: refreshToken }, signal);
    if (response.ok) return toTokenSet((await response.json()) as TokenResponse);
    if (response.status >= 500) throw new ServerUnavailableError(`the server answered ${response.status}`);
    const { error, description } = await oauthError(response);
    if (error === 'invalid_grant') throw new InvalidGrantError(description);
    throw new NativeAuthError(error, description);
  }

  async revoke(tokens: { refreshToken?: string | undefined; accessToken?: string | undefined }): Promise<void> {
    const response = await this.#post(
      '/jwt/logout',
      tokens.refreshToken ? { refresh_token: tokens.refreshToken } : {},
      undefined,
      tokens.accessToken ? { authorization: `Bearer ${tokens.accessToken}` } : {},
    );
    if (!response.ok) throw new ServerUnavailableError(`sign-out answered ${response.status}`);
  }
}
