import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { needsChromium, useServerAndBrowser } from './support/browser.ts';
import { DEMO_PASSWORD, manualClock } from './support/server.ts';

const PAGES = ['/', '/compare', '/jwt', '/oidc-flow', '/login'];

describe('the page frame and the session pages’ small comforts, in a real Chromium', () => {
  const clock = manualClock();
  const suite = useServerAndBrowser({ clock, env: { SESSION_IDLE_TTL: '30m' } });
  const url = (path: string) => new URL(path, suite.server.url).href;

  it('links every page from the header of every page', async (t) => {
    if (!needsChromium(t)) return;
    const page = await suite.browser.newPage();
    for (const path of PAGES) {
      await page.goto(url(path));
      const nav = page.getByRole('navigation', { name: 'Main' });
      const hrefs = await nav.getByRole('link').evaluateAll((links) => links.map((a) => a.getAttribute('href')));
      assert.deepEqual(hrefs, PAGES, `the header of ${path}`);
      assert.equal(await nav.locator('[aria-current="page"]').getAttribute('href'), path);
    }
    assert.deepEqual(suite.browser.problems(page), []);
  });

  it('keeps the email filled after a failed sign-in, and never the password', async (t) => {
    if (!needsChromium(t)) return;
    const page = await suite.browser.newPage();
    await page.goto(url('/login'));
    await page.getByLabel('Email').fill('alice@example.com');
    await page.getByLabel('Password').fill('not-her-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(url('/login?error=invalid_credentials'));
    assert.ok(!page.url().includes('alice'), 'the email is not carried in the URL');
    assert.equal(await page.getByLabel('Email').inputValue(), 'alice@example.com');
    assert.equal(await page.getByLabel('Password').inputValue(), '');
    assert.equal(await page.evaluate('document.activeElement?.id'), 'password');
    // A fresh visit to the form (no error to retry) starts empty.
    await page.goto(url('/login'));
    assert.equal(await page.getByLabel('Email').inputValue(), '');
    assert.deepEqual(suite.browser.problems(page), []);
  });

  it('counts the session’s idle time down on /me', async (t) => {
    if (!needsChromium(t)) return;
    const page = await suite.browser.newPage();
    await page.clock.install();
    await page.goto(url('/login'));
    await page.getByLabel('Email').fill('bob@example.com');
    await page.getByLabel('Password').fill(DEMO_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(url('/me'));
    const timer = page.getByRole('timer');
    assert.equal(await timer.textContent(), '30:00');
    await page.clock.runFor(61_000);
    assert.equal(await timer.textContent(), '28:59');
    await page.clock.runFor(29 * 60_000);
    assert.match((await timer.textContent()) ?? '', /^ended/);
    assert.deepEqual(suite.browser.problems(page), []);
  });
});
