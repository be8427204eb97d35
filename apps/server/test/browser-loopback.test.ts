import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { needsChromium, useServerAndBrowser } from './support/browser.ts';
import { DEMO_PASSWORD } from './support/server.ts';

describe('a browser that opens the site on the other loopback name', () => {
  const suite = useServerAndBrowser(); // PUBLIC_URL is http://127.0.0.1:<port>

  it('lands on PUBLIC_URL and can sign in there, where before the form ended on forbidden_origin', async (t) => {
    if (!needsChromium(t)) return;
    const page = await suite.browser.newPage();
    await page.goto(`http://localhost:${suite.server.port}/login`);
    assert.equal(page.url(), `${suite.server.url}/login`);
    await page.getByLabel('Email').fill('alice@example.com');
    await page.getByLabel('Password').fill(DEMO_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${suite.server.url}/me`);
    assert.equal(await page.locator('#me-email').textContent(), 'alice@example.com');
    assert.deepEqual(suite.browser.problems(page), []);
  });

  it('shows an HTML page with a way back for an address that does not exist', async (t) => {
    if (!needsChromium(t)) return;
    const page = await suite.browser.newPage();
    const response = await page.goto(`${suite.server.url}/no-such-page`);
    assert.equal(response?.status(), 404);
    assert.ok(await page.getByRole('heading', { level: 1, name: 'Page not found' }).isVisible());
    await page.getByRole('link', { name: 'Back to the start' }).click();
    await page.waitForURL(`${suite.server.url}/`);
    // Chromium logs every 4xx document it loads; anything else would be the page's own fault.
    const problems = suite.browser.problems(page).filter((p) => !p.includes('status of 404 (Not Found)'));
    assert.deepEqual(problems, []);
  });
});
