export { CHROMIUM_ARGS, findChromium, requireComponent, which } from './components.ts';
export { CookieJarClient, type CookieJarRequestInit } from './cookie-jar-client.ts';
export { type ManualClock, manualClock } from './manual-clock.ts';
export { type AuthorizeOptions, authorize, DESKTOP, followToClient, pkcePair, tokenRequest } from './oidc-code-flow.ts';
export { freePort, type RedisServer, redisServerBinary, startRedisServer } from './redis-server.ts';
export {
  type ServerProcessAndBrowser,
  type SuiteServerAndBrowser,
  useServerAndBrowserFrom,
  useServerProcessAndBrowser,
} from './server-and-browser.ts';
export {
  accountIdOf,
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
