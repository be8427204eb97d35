/**
 * "The system browser" of the CLI end-to-end tests, as a program of its own: the CLI runs it as
 * `login --browser "<node> fake-system-browser.ts"` and hands it the sign-in URL (the loopback
 * listener's one-time start link) as the last argument, exactly as it would run `firefox` or
 * `xdg-open`. It drives the system Chromium
 * (`CHROMIUM_PATH`, or the usual locations) headless through alice's sign-in at the provider: the
 * login page, the consent page (#allow), then the CLI's loopback listener, and waits for the
 * listener's result page. With `FAKE_BROWSER_PAGES=oidc-provider` it goes through a foreign
 * oidc-provider's own login and consent pages instead.
 *
 * Exit code 0 once the result page says signed in, 1 otherwise. The CLI starts browsers detached
 * with their output ignored, so what happened is also appended, one JSON object a line, to the
 * file named by `FAKE_BROWSER_REPORT` (when set): `started` (with the pid, for clean-up),
 * `redirected` (where the start link sent the browser: the authorization request), then
 * `finished` (the final URL, the outcome, console errors or CSP violations seen) or `failed`, and
 * `exited` once Chromium is closed.
 */
import { appendFileSync } from 'node:fs';
import { launchTestBrowser, type TestBrowser } from '@authlab/testkit';

const ALICE = { email: 'alice@example.com', password: 'correct-horse-battery-staple' };

/** One line of the report file (the tests import this type only: importing the script would run it). */
export type BrowserReport =
  | { event: 'started'; pid: number; url: string }
  | { event: 'redirected'; status: number; location: string }
  | { event: 'finished'; finalUrl: string; outcome: string | null; consentClient: string | null; problems: string[] }
  | { event: 'failed'; error: string }
  | { event: 'exited'; code: number };

function report(line: BrowserReport): void {
  const file = process.env.FAKE_BROWSER_REPORT;
  if (file) appendFileSync(file, `${JSON.stringify(line)}\n`);
}

async function signIn(url: string): Promise<void> {
  let browser: TestBrowser | undefined;
  try {
    browser = await launchTestBrowser();
    const page = await browser.newPage();
    page.setDefaultTimeout(30_000);
    page.on('response', (response) => {
      if (response.url() === url) {
        report({ event: 'redirected', status: response.status(), location: response.headers().location ?? '' });
      }
    });
    await page.goto(url);
    let consentClient: string | null = null;
    if (process.env.FAKE_BROWSER_PAGES === 'oidc-provider') {
      // A foreign provider's own pages (oidc-provider's development login and consent).
      await page.locator('input[name="login"]').fill(ALICE.email);
      await page.locator('input[name="password"]').fill(ALICE.password);
      await page.getByRole('button', { name: 'Sign-in' }).click();
      await page.getByRole('button', { name: 'Continue' }).click();
    } else {
      await page.locator('#email').fill(ALICE.email);
      await page.locator('#password').fill(ALICE.password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      consentClient = await page.locator('#oidc-client').textContent();
      await page.locator('#allow').click();
    }
    // The loopback listener's own page, after its 303 away from /callback?code=…
    const result = page.locator('#result');
    await result.waitFor();
    const outcome = await result.getAttribute('data-outcome');
    report({ event: 'finished', finalUrl: page.url(), outcome, consentClient, problems: browser.problems(page) });
    process.exitCode = outcome === 'success' ? 0 : 1;
  } finally {
    await browser?.close();
  }
}

const url = process.argv.at(-1) ?? '';
report({ event: 'started', pid: process.pid, url });
// Written last, after Chromium has closed: nothing of this run is left behind.
process.on('exit', (code) => report({ event: 'exited', code }));
signIn(url).catch((error: unknown) => {
  report({ event: 'failed', error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  process.exitCode = 1;
});
