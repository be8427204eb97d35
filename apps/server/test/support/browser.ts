import { type SuiteServerAndBrowser, useServerAndBrowserFrom } from '@authlab/testkit';
import { startTestServer, type TestServer, type TestServerOptions } from './server.ts';

/** Re-exported for the server's suites; the browser itself lives in @authlab/testkit (the clients' tests use it too). */
export { launchTestBrowser, needsChromium, type TestBrowser } from '@authlab/testkit';

export type ServerAndBrowser = SuiteServerAndBrowser<TestServer>;

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
  return useServerAndBrowserFrom(() => startTestServer(options));
}
