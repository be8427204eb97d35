import * as oidc from 'openid-client';
import { discoverPublicClient, tokenSetOf } from './discover.ts';
import { ServerUnavailableError } from './http-errors.ts';
import { InvalidGrantError, NativeAuthError, type TokenSet, type TokenSource } from './types.ts';

export interface OidcSourceOptions {
  issuer: string;
  clientId: string;
  /** A registered post-logout redirect URI, for the end-session URL. */
  postLogoutRedirectUri?: string;
  fetch?: typeof fetch;
}

/** openid-client's own errors for an answer from the server (as opposed to no answer at all). */
function classify(error: unknown): never {
  if (error instanceof oidc.ResponseBodyError) {
    if (error.error === 'invalid_grant') throw new InvalidGrantError(error.error_description ?? error.message);
    if (error.status >= 500) throw new ServerUnavailableError(`the provider answered ${error.status}`);
    throw new NativeAuthError(error.error, error.error_description ?? error.message);
  }
  if (error instanceof NativeAuthError) throw error;
  throw new ServerUnavailableError(`cannot reach the provider: ${(error as Error).message}`, { cause: error });
}

/**
 * The OIDC mode for native clients: refresh (rotating), RFC 7009 revocation and the
 * end-session URL, through openid-client. Sign-in itself is the `LoopbackAuthorizer`'s.
 *
 * @example
 * const source = new OidcSource({ issuer: 'http://localhost:4000/oidc', clientId: 'authlab-desktop' });
 * const next = await source.refresh(refreshToken);
 */
export class OidcSource implements TokenSource {
  readonly mode = 'oidc' as const;
  readonly #options: OidcSourceOptions;
  #config: Promise<oidc.Configuration> | null = null;

  constructor(options: OidcSourceOptions) {
    this.#options = options;
  }

  /** Discovery once per source; a failure is not remembered (the next call tries again). */
  #configuration(): Promise<oidc.Configuration> {
    this.#config ??= discoverPublicClient(this.#options.issuer, this.#options.clientId, {
      ...(this.#options.fetch ? { fetch: this.#options.fetch } : {}),
    }).catch((error: unknown) => {
      this.#config = null;
      if (error instanceof NativeAuthError && error.code === 'discovery_failed') {
        throw new ServerUnavailableError(error.message, { cause: error });
      }
      throw error;
    });
    return this.#config;
  }

  async refresh(refreshToken: string): Promise<TokenSet> {
    const config = await this.#configuration();
    try {
      return tokenSetOf(await oidc.refreshTokenGrant(config, refreshToken));
    } catch (error) {
      classify(error);
    }
  }

  async revoke(tokens: { refreshToken?: string | undefined }): Promise<void> {
    if (!tokens.refreshToken) return;
    const config = await this.#configuration();
    try {
      await oidc.tokenRevocation(config, tokens.refreshToken, { token_type_hint: 'refresh_token' });
    } catch (error) {
      classify(error);
    }
  }

  async endSessionUrl(idToken: string | undefined): Promise<string | undefined> {
    const config = await this.#configuration();
    if (!config.serverMetadata().end_session_endpoint) return undefined;
    return oidc
      .buildEndSessionUrl(config, {
        ...(idToken ? { id_token_hint: idToken } : {}),
        ...(this.#options.postLogoutRedirectUri
          ? { post_logout_redirect_uri: this.#options.postLogoutRedirectUri }
          : {}),
      })
      .toString();
  }
}
