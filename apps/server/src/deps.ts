import type { Authenticator, Secrets } from '@authlab/auth-core';
import type { Clock, Store } from '@authlab/store';
import type { Logger } from 'pino';
import type { Config } from './config.ts';

/** Everything the app is built from, assembled once by the composition root (`main.ts`) or a test. */
export interface AppDeps {
  config: Config;
  store: Store;
  authenticator: Authenticator;
  secrets: Secrets;
  logger: Logger;
  clock: Clock;
}
