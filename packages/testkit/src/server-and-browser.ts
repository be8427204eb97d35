import { after, before } from 'node:test';
import { findChromium } from './components.ts';
import { type ServerProcess, type StartOptions, startServerProcess } from './server-process.ts';
import { launchTestBrowser, type TestBrowser } from './test-browser.ts';

export interface SuiteServerAndBrowser<Server> {
  /** The suite's server, started in `before` and stopped in `after`. */
  readonly server: Server;
  /** The suite's Chromium, launched in `before` when one is installed and closed in `after`. */
  readonly browser: TestBrowser;
}

export type ServerProcessAndBrowser = SuiteServerAndBrowser<ServerProcess>;

/**
 * Registers `before`/`after` hooks on the enclosing `describe`: the server `start` gives and, when
 * Chromium is installed, a browser, both torn down after the suite. The server starts even
 * without Chromium; guard each browser test with `needsChromium(t)`. Read `server` and `browser`
 * inside tests and hooks: they do not exist before `before` has run.
 */
export function useServerAndBrowserFrom<Server extends { stop(): Promise<void> }>(
  start: () => Promise<Server>,
): SuiteServerAndBrowser<Server> {
  let server: Server | undefined;
  let browser: TestBrowser | undefined;
  before(async () => {
    server = await start();
    if (findChromium() !== null) browser = await launchTestBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });
  return {
    get server() {
      if (!server) throw new Error('the server is not running: read it inside a test or hook');
      return server;
    },
    get browser() {
      if (!browser) throw new Error('no Chromium was launched: guard the test with needsChromium(t)');
      return browser;
    },
  };
}

/**
 * The real server as a process (`startServerProcess(options)`) and a browser, for a suite.
 *
 * @example
 * describe('signing in through the system browser', () => {
 *   const suite = useServerProcessAndBrowser();
 *   it('shows the login page', async (t) => {
 *     if (!needsChromium(t)) return;
 *     const page = await suite.browser.newPage();
 *     await page.goto(`${suite.server.url}/login`);
 *   });
 * });
 */
export function useServerProcessAndBrowser(options: StartOptions = {}): ServerProcessAndBrowser {
  return useServerAndBrowserFrom(() => startServerProcess(options));
}
