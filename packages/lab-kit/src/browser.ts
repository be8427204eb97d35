import { CHROMIUM_ARGS, findChromium } from '@authlab/testkit';
import { type Browser, chromium } from 'playwright-core';

/**
 * The system Chromium, headless, in a fresh profile: the "victim's browser" of the browser labs
 * (CSRF, XSS) and of `pnpm lab compare`. Playwright's own browser download is never used.
 */
export async function launchLabBrowser(): Promise<Browser> {
  const executablePath = findChromium();
  if (!executablePath) {
    throw new Error(
      'This needs a real browser and no Chromium was found: install it (apt-get install chromium, ' +
        'or set CHROMIUM_PATH to Chrome/Chromium) and run `pnpm lab doctor`.',
    );
  }
  return chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS });
}
