import { after, before } from 'node:test';
import { findChromium } from './components.ts';
import { type ServerProcess, type StartOptions, startServerProcess } from './server-process.ts';
import { launchTestBrowser, type TestBrowser } from './test-browser.ts';

export interface ServerProcessAndBrowser {
  /** The suite's server process, started in `before` and stopped in `after`. */
  readonly server: ServerProcess;
  /** The suite's Chromium, launched in `before` when one is installed and closed in `after`. */
  readonly browser: TestBrowser;
}

/**
 * Registers `before`/`after` hooks on the enclosing `describe`: the real server as a process
 * (`startServerProcess(options)`) and, when Chromium is installed, a browser. The server starts
 * even without Chromium; guard each browser test with `needsChromium(t)`.
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
  let server: ServerProcess | undefined;
  let browser: TestBrowser | undefined;
  before(async () => {
    server = await startServerProcess(options);
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
