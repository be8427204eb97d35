export { CHROMIUM_ARGS, findChromium, requireComponent, which } from './components.ts';
export { CookieJarClient, type CookieJarRequestInit } from './cookie-jar-client.ts';
export { freePort, type RedisServer, redisServerBinary, startRedisServer } from './redis-server.ts';
