import { after, before } from 'node:test';
import { findChromium, launchTestBrowser, type TestBrowser } from '@authlab/testkit';
import { startTestServer, type TestServer, type TestServerOptions } from './server.ts';

/** Re-exported for the server's suites; the browser itself lives in @authlab/testkit (the clients' tests use it too). */
export { launchTestBrowser, needsChromium, type TestBrowser } from '@authlab/testkit';

const chromiumFound = findChromium() !== null;

export interface ServerAndBrowser {
  /** The suite's server, started in `before` and stopped in `after`. */
  readonly server: TestServer;
  /** The suite's Chromium, launched in `before` when one is installed and closed in `after`. */
  readonly browser: TestBrowser;
}

/**
 * Registers `before`/`after` hooks on the enclosing `describe`: a test server (`startTestServer`
 * with `options`) and, when Chromium is installed, a browser, both torn down after the suite.
 * The server starts even without Chromium; guard each test with `needsChromium(t)`. Read
 * `server` and `browser` from inside tests and hooks: they do not exist before `before` has run.
 * `before` hooks the suite registers after this call run after the server is up.
 *
 * @example
 * describe('the login page in a real Chromium', () => {
 *   const suite = useServerAndBrowser();
 *   it('shows the form', async (t) => {
 *     if (!needsChromium(t)) return;
 *     const page = await suite.browser.newPage();
 *     await page.goto(new URL('/login', suite.server.url).href);
 *   });
 * });
 */
export function useServerAndBrowser(options: TestServerOptions = {}): ServerAndBrowser {
  let server: TestServer | undefined;
  let browser: TestBrowser | undefined;
  before(async () => {
    server = await startTestServer(options);
    if (chromiumFound) browser = await launchTestBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });
  return {
    get server() {
      if (!server) throw new Error('the test server is not running: read it inside a test or hook');
      return server;
    },
    get browser() {
      if (!browser) throw new Error('no Chromium was launched: guard the test with needsChromium(t)');
      return browser;
    },
  };
}
