import { JWKS_MAX_AGE_SEC, type KeyRing } from '@authlab/auth-core';
import { StoreUnavailableError } from '@authlab/store';
import type { Context, Middleware } from 'koa';
import mount from 'koa-mount';
import Provider, { type KoaContextWithOIDC } from 'oidc-provider';
import { type ProviderSettings, providerConfiguration } from './configuration.ts';
import { restrictResponseModes } from './response-modes.ts';

/**
 * Owns the mounted OpenID Provider. oidc-provider fixes its keys when it is built and signs with
 * the first key that matches, so a key rotation (here, or on another instance through the shared
 * ring file) builds a new provider with the new current key first; the ring is checked at most
 * every few seconds, so every instance follows within that window.
 */
export class ProviderHost {
  readonly #ring: KeyRing;
  readonly #settings: Omit<ProviderSettings, 'jwks'>;
  readonly #proxy: boolean;
  #provider!: Provider;
  #mounted!: Middleware;
  #revision = -1;

  constructor(ring: KeyRing, settings: Omit<ProviderSettings, 'jwks'>, options: { proxy: boolean }) {
    this.#ring = ring;
    this.#settings = settings;
    this.#proxy = options.proxy;
    this.current();
  }

  /** The provider for the ring's current keys (rebuilt after a rotation). */
  current(): Provider {
    this.#ring.refresh();
    if (this.#ring.revision !== this.#revision) {
      const provider = new Provider(
        this.#settings.endpoints.issuer,
        providerConfiguration({ ...this.#settings, jwks: this.#ring.privateJwks() }),
      );
      provider.proxy = this.#proxy;
      if (this.#settings.secureCookies) markProviderConnectionsSecure(provider);
      restrictResponseModes(provider);
      // oidc-provider answers every unexpected error itself, as 500 server_error, and logs
      // nothing. An unreachable store is not a bug of ours: it is marked here and turned into a
      // 503 below (fail closed, as everywhere else); anything else is logged with its stack.
      provider.on('server_error', (ctx: Context, error: unknown) => {
        if (error instanceof StoreUnavailableError) {
          ctx.state.storeUnavailable = true;
          ctx.state.log?.warn({ err: { message: error.message } }, 'store unavailable');
        } else {
          ctx.state.log?.error({ err: error }, 'request failed');
        }
      });
      this.#provider = provider;
      this.#mounted = mount('/oidc', provider as unknown as Parameters<typeof mount>[1]) as Middleware;
      this.#revision = this.#ring.revision;
    }
    return this.#provider;
  }

  /** Koa middleware serving `/oidc/*` with the current provider. */
  middleware(): Middleware {
    return async (ctx, next) => {
      this.current();
      await this.#mounted(ctx, next);
      // The lifetime the key ring waits out before promoting a published key (key-ring.ts).
      if ((ctx as Partial<KoaContextWithOIDC>).oidc?.route === 'jwks') {
        ctx.set('Cache-Control', `public, max-age=${JWKS_MAX_AGE_SEC}`);
      }
      if (ctx.state.storeUnavailable && ctx.status === 500) {
        ctx.status = 503;
        ctx.set('Retry-After', '5');
      }
    };
  }
}

/**
 * oidc-provider sets its session cookie through a Koa context of its own (`ctx.oidc.cookies`),
 * which the app-wide `markSecureConnection` never sees; behind a TLS-terminating proxy or on a
 * loopback origin its cookie library would refuse a `Secure` cookie on the plain connection. The
 * same rule as for the app: where the server's cookies are Secure, the provider's may be too.
 */
function markProviderConnectionsSecure(provider: Provider): void {
  const createContext = provider.createContext.bind(provider);
  provider.createContext = ((req, res) => {
    const ctx = createContext(req, res);
    ctx.cookies.secure = true;
    return ctx;
  }) as typeof provider.createContext;
}
