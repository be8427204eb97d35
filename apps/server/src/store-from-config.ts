import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Clock, connectRedis, openRedisStore, openSqliteStore, type Store, systemClock } from '@authlab/store';
import type { Config } from './config.ts';

/** Every Redis key of a deployment starts with this unless a test isolates its run. */
export const DEFAULT_REDIS_KEY_PREFIX = 'authlab:';

export interface ConfiguredStore {
  store: Store;
}

export interface OpenStoreOptions {
  clock?: Clock;
  redisKeyPrefix?: string;
}

/**
 * The store the configuration names: Redis at `REDIS_URL` when set, else SQLite in
 * `DATA_DIR/authlab.db`. The server and the admin CLIs both open it here, so `pnpm users` always
 * edits the accounts the server signs in.
 *
 * @example
 * const { store } = openConfiguredStore(loadConfig(process.env));
 * console.log(await store.users.count());
 * await store.close();
 */
export function openConfiguredStore(
  config: Pick<Config, 'dataDir' | 'redisUrl'>,
  options: OpenStoreOptions = {},
): ConfiguredStore {
  const clock = options.clock ?? systemClock;
  if (config.redisUrl) {
    const client = connectRedis(config.redisUrl);
    const keyPrefix = options.redisKeyPrefix ?? DEFAULT_REDIS_KEY_PREFIX;
    return { store: openRedisStore({ url: config.redisUrl, client, clock, keyPrefix }) };
  }
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  return { store: openSqliteStore({ path: join(config.dataDir, 'authlab.db'), clock }) };
}
