import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { needsChromium, useServerAndBrowser } from './support/browser.ts';
import { DEMO_PASSWORD } from './support/server.ts';

/** Screenshots for people to look at (gitignored). */
const SHOTS = join(import.meta.dirname, '../../../.test-artifacts/provider');

/** `auth_time` counts whole seconds: a sign-in in a later second than it is needed to tell the two apart. */
const nextSecond = () => new Promise((resolve) => setTimeout(resolve, 1100));

describe('the provider’s pages and sign-ins it answers from its own session, in a real Chromium', () => {
  const suite = useServerAndBrowser();
  const url = (path: string) => new URL(path, suite.server.url).href;

  /** (This project type-checks without the DOM library: the window is typed by hand.) */
  type StyledWindow = { getComputedStyle(element: unknown): { backgroundColor: string } };
  const headerBackground = (page: Page) =>
    page
      .locator('header')
      .evaluate((header) => (globalThis as unknown as StyledWindow).getComputedStyle(header).backgroundColor);

  async function signInAtProvider(page: Page, email: string): Promise<void> {
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(DEMO_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  it('look unlike authlab’s own pages, without the site’s navigation, and name the client that asks', async (t) => {
    if (!needsChromium(t)) return;
    for (const colorScheme of ['light', 'dark'] as const) {
      const page = await suite.browser.newPage({ colorScheme });
      await page.goto(url('/login'));
      const siteHeader = await headerBackground(page);
      await page.getByRole('link', { name: 'Sign in with OpenID Connect' }).click();
      await page.waitForURL(/\/oidc\/interaction\//);
      assert.notEqual(await headerBackground(page), siteHeader, `${colorScheme}: the provider's header differs`);
      assert.equal(await page.locator('body.provider').count(), 1);
      assert.equal(await page.getByRole('navigation', { name: 'Main' }).count(), 0, 'no site navigation');
      assert.match(
        (await page.locator('header').textContent()) ?? '',
        /Identity provider · you have left the application/,
      );
      assert.match(await page.title(), /authlab ID$/);
      assert.equal(await page.locator('#oidc-client').textContent(), 'authlab (federated sign-in)');
      mkdirSync(SHOTS, { recursive: true });
      await page.screenshot({ path: join(SHOTS, `login-${colorScheme}.png`) });
      await signInAtProvider(page, 'alice@example.com');
      await page.locator('#allow').waitFor();
      assert.equal(await page.locator('body.provider').count(), 1, 'the consent page too');
      assert.deepEqual(suite.browser.problems(page), []);
    }
  });

  it('says so on /me when a federated sign-in after sign-out asked no password, and not on the first', async (t) => {
    if (!needsChromium(t)) return;
    const page = await suite.browser.newPage();
    await page.goto(url('/login'));
    await page.getByRole('link', { name: 'Sign in with OpenID Connect' }).click();
    await signInAtProvider(page, 'bob@example.com');
    await page.locator('#allow').click();
    await page.waitForURL(url('/me'));
    assert.equal(await page.locator('#me-provider-knew').count(), 0, 'the first sign-in asked for the password');

    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await page.waitForURL(url('/'));
    await nextSecond();
    await page.goto(url('/login'));
    await page.getByRole('link', { name: 'Sign in with OpenID Connect' }).click();
    // No form this time: the provider still has bob's session and his consent.
    await page.waitForURL(url('/me?provider_session=reused'));
    const notice = page.locator('#me-provider-knew');
    assert.match((await notice.textContent()) ?? '', /without a password/);
    assert.equal(
      await notice.getByRole('link', { name: 'sign out at the provider' }).getAttribute('href'),
      '/oidc/session/end',
    );

    // Signing out at the provider ends that session: the next sign-in asks again.
    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await page.goto(url('/oidc/session/end'));
    await page.locator('#logout-confirm').click();
    await page.locator('#signed-out').waitFor();
    await page.goto(url('/session/oidc/start'));
    await page.waitForURL(/\/oidc\/interaction\//);
    assert.equal(await page.getByLabel('Password').count(), 1, 'the provider asks for the password again');
    assert.deepEqual(suite.browser.problems(page), []);
  });

  it('says so in the walkthrough when the provider answered without a password', async (t) => {
    if (!needsChromium(t)) return;
    const page = await suite.browser.newPage();
    await page.goto(url('/oidc-flow'));
    await page.getByRole('link', { name: 'Start: go to the provider' }).click();
    await signInAtProvider(page, 'alice@example.com');
    await page.locator('#allow').click();
    await page.waitForURL((target) => target.pathname === '/oidc-flow/callback');
    assert.equal(await page.locator('#flow-known-already').count(), 0);

    await nextSecond();
    await page.goto(url('/oidc-flow'));
    await page.getByRole('link', { name: 'Start: go to the provider' }).click();
    await page.waitForURL((target) => target.pathname === '/oidc-flow/callback');
    assert.match((await page.locator('#flow-known-already').textContent()) ?? '', /No password was asked/);
    assert.deepEqual(suite.browser.problems(page), []);
  });

  it('numbers the walkthrough’s steps one way, in its progress list and its headings', async (t) => {
    if (!needsChromium(t)) return;
    const page = await suite.browser.newPage();
    await page.goto(url('/oidc-flow'));
    const steps = await page.locator('.flow-steps li').allTextContents();
    const labels = steps.map((step) => step.replace(/^\s*\d+\s*/, '').trim());
    const headings = await page.getByRole('heading', { level: 2 }).allTextContents();
    await page.getByRole('link', { name: 'Start: go to the provider' }).click();
    await signInAtProvider(page, 'admin@example.com');
    await page.locator('#allow').click();
    await page.waitForURL((target) => target.pathname === '/oidc-flow/callback');
    headings.push(...(await page.getByRole('heading', { level: 2 }).allTextContents()));
    const numbered = headings.filter((heading) => heading.startsWith('Step '));
    assert.deepEqual(
      numbered.map((heading) => heading.match(/^Step (\d)/)?.[1]),
      ['1', '2', '3', '4', '5'],
    );
    for (const heading of numbered) {
      const n = Number(heading.match(/^Step (\d)/)?.[1]);
      assert.ok(heading.startsWith(`Step ${n} · ${labels[n - 1]}`), `"${heading}" is step ${n}, "${labels[n - 1]}"`);
    }
    assert.deepEqual(suite.browser.problems(page), []);
  });
});
