export { CHROMIUM_ARGS, findChromium, requireComponent, which } from './components.ts';
export { CookieJarClient, type CookieJarRequestInit } from './cookie-jar-client.ts';
export { freePort, type RedisServer, redisServerBinary, startRedisServer } from './redis-server.ts';
export {
  addUser,
  DEMO_PASSWORD,
  removeDir,
  SERVER_LOG_LEVEL,
  SERVER_MAIN,
  SERVER_VARIABLES,
  type ServerProcess,
  type StartOptions as ServerProcessOptions,
  serverEnv,
  startServerProcess,
  temporaryDir,
} from './server-process.ts';
export { DESKTOP_VIEWPORT, launchTestBrowser, needsChromium, type TestBrowser } from './test-browser.ts';
