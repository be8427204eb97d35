export { connectRedis, openRedisStore, type RedisStoreOptions } from './redis-store.ts';
export { openSqliteStore, type SqliteStoreOptions } from './sqlite-store.ts';
export * from './types.ts';
