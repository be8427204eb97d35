import type { Authenticator, KeyRing, Secrets, TokenService } from '@authlab/auth-core';
import type { Clock, Store } from '@authlab/store';
import type { Logger } from 'pino';
import type { Config } from './config.ts';

/** Everything the app is built from, assembled once by the composition root (`main.ts`) or a test. */
export interface AppDeps {
  config: Config;
  store: Store;
  authenticator: Authenticator;
  /** The JWT mode's signing keys (also served as the JWKS). */
  keyRing: KeyRing;
  /** The JWT mode: refresh families, access tokens, revocation. */
  tokens: TokenService;
  /** The OpenID Provider's signing keys (ID tokens, OIDC access tokens). */
  oidcKeyRing: KeyRing;
  secrets: Secrets;
  logger: Logger;
  clock: Clock;
}
