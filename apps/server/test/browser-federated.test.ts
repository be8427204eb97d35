import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { needsChromium, useServerAndBrowser } from './support/browser.ts';
import { DEMO_PASSWORD } from './support/server.ts';

describe('federated sign-in in a real Chromium', () => {
  const suite = useServerAndBrowser();

  const url = (path: string) => new URL(path, suite.server.url).href;

  /** From /login, through "Sign in with OpenID Connect", to the provider's login form. */
  async function toProviderLogin(page: Page): Promise<void> {
    await page.goto(url('/login'));
    await page.getByRole('link', { name: 'Sign in with OpenID Connect' }).click();
    await page.waitForURL(/\/oidc\/interaction\//);
    assert.equal(await page.locator('#oidc-client').textContent(), 'authlab (federated sign-in)');
  }

  async function signInAtProvider(page: Page): Promise<void> {
    await page.getByLabel('Email').fill('alice@example.com');
    await page.getByLabel('Password').fill(DEMO_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#allow').waitFor();
  }

  it('signs alice in: /login → "Sign in with OpenID Connect" → provider login → consent → /me', async (t) => {
    if (!needsChromium(t)) return;
    const page = await suite.browser.newPage();
    await toProviderLogin(page);
    const flowCookie = (await page.context().cookies(url('/session/oidc/callback'))).find(
      (cookie) => cookie.name === '__Secure-authlab.oidc-flow',
    );
    assert.ok(flowCookie, 'the flow cookie is held for the callback');
    assert.equal(flowCookie.httpOnly, true);
    assert.equal(flowCookie.sameSite, 'Lax');
    assert.equal(flowCookie.path, '/session/oidc');

    await signInAtProvider(page);
    assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Allow authlab (federated sign-in)?');
    await page.locator('#allow').click();
    await page.waitForURL(url('/me'));

    assert.equal(await page.locator('#me-email').textContent(), 'alice@example.com');
    assert.equal(await page.locator('#sessions tbody tr', { hasText: 'this browser' }).count(), 1);
    const me = await page.request.get(url('/session/me'));
    assert.equal(me.status(), 200);
    assert.equal(((await me.json()) as { user: { email: string } }).user.email, 'alice@example.com');
    const left = (await page.context().cookies(url('/session/oidc/callback'))).map((cookie) => cookie.name);
    assert.equal(left.includes('__Secure-authlab.oidc-flow'), false, 'the flow cookie is spent');
    assert.deepEqual(suite.browser.problems(page), []);
  });

  it('comes back to /login with a readable message when alice denies consent', async (t) => {
    if (!needsChromium(t)) return;
    const page = await suite.browser.newPage();
    await toProviderLogin(page);
    await signInAtProvider(page);
    await page.locator('#deny').click();
    await page.waitForURL((target) => target.pathname === '/login');
    assert.equal(new URL(page.url()).searchParams.get('error'), 'access_denied');
    assert.match((await page.getByRole('alert').textContent()) ?? '', /cancelled at the identity provider/);
    assert.equal((await page.request.get(url('/session/me'))).status(), 401);
    assert.deepEqual(suite.browser.problems(page), []);
  });
});
