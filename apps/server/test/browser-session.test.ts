import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { freePort } from '@authlab/testkit';
import type { BrowserContext, Page } from 'playwright-core';
import { needsChromium, useServerAndBrowser } from './support/browser.ts';
import { DEMO_PASSWORD } from './support/server.ts';

const COOKIE_NAME = '__Host-authlab.sid';

describe('session pages in a real Chromium', () => {
  const suite = useServerAndBrowser();

  const url = (path: string) => new URL(path, suite.server.url).href;
  const sessionCookie = async (context: BrowserContext) =>
    (await context.cookies(suite.server.url)).find((cookie) => cookie.name === COOKIE_NAME);

  /** Signs in through the login form, as a person would. */
  async function signIn(page: Page, email = 'alice@example.com', password = DEMO_PASSWORD): Promise<void> {
    await page.goto(url('/login'));
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    const landed = page.waitForURL((target) => target.pathname === '/me' || target.searchParams.has('error'));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await landed;
  }

  /** A new "device": a context with its own cookie jar, signed in, on /me. */
  async function signedInDevice(email = 'alice@example.com'): Promise<Page> {
    const page = await suite.browser.newPage();
    await signIn(page, email);
    assert.equal(page.url(), url('/me'));
    return page;
  }

  /** The public handle of the session this page's cookie belongs to. */
  async function ownSessionId(page: Page): Promise<string> {
    const response = await page.request.get(url('/session/sessions'));
    assert.equal(response.status(), 200);
    const { sessions } = (await response.json()) as { sessions: Array<{ id: string; current: boolean }> };
    const own = sessions.find((session) => session.current);
    assert.ok(own, 'the list marks the current session');
    return own.id;
  }

  const assertNoProblems = (page: Page) => assert.deepEqual(suite.browser.problems(page), []);

  it('shows the three modes on the home page, each with a heading, and a way to sign in', async (t) => {
    if (!needsChromium(t)) return;
    const page = await suite.browser.newPage();
    const response = await page.goto(url('/'));
    assert.equal(response?.status(), 200);
    assert.ok(await page.getByRole('heading', { level: 1 }).isVisible());
    for (const name of ['Server sessions', 'JWT + rotating refresh tokens', 'OpenID Connect']) {
      assert.ok(await page.getByRole('heading', { level: 2, name }).isVisible(), `a heading for ${name}`);
    }
    assert.equal(await page.getByRole('banner').count(), 1);
    assert.equal(await page.getByRole('main').count(), 1);
    assert.equal(await page.getByRole('contentinfo').count(), 1);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Sign in' }).click();
    await page.waitForURL(url('/login'));
    assert.ok(await page.getByRole('heading', { level: 1, name: 'Sign in' }).isVisible());
    assertNoProblems(page);
  });

  it('signs alice in through the form and shows her email, role and this browser on /me', async (t) => {
    if (!needsChromium(t)) return;
    const page = await suite.browser.newPage();
    await signIn(page);
    assert.equal(page.url(), url('/me'));
    assert.equal(await page.locator('#me-email').textContent(), 'alice@example.com');
    assert.equal(await page.locator('#me-role').textContent(), 'user');
    const current = page.locator('#sessions tbody tr', { hasText: 'this browser' });
    assert.equal(await current.count(), 1);
    assert.equal(await current.getAttribute('data-session-id'), await ownSessionId(page));
    assert.equal(await current.locator('button.revoke').count(), 0, 'no revoke button on the own session');
    assertNoProblems(page);
  });

  it('keeps the session in a __Host- cookie that is HttpOnly, Secure and SameSite=Lax, out of reach of scripts', async (t) => {
    if (!needsChromium(t)) return;
    const page = await signedInDevice();
    const cookie = await sessionCookie(page.context());
    assert.ok(cookie, `the browser holds ${COOKIE_NAME}`);
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.secure, true);
    assert.equal(cookie.sameSite, 'Lax');
    assert.equal(cookie.path, '/');
    assert.equal(cookie.domain, '127.0.0.1', 'a host-only cookie (no Domain attribute)');
    const visible = await page.evaluate<string>('document.cookie');
    assert.doesNotMatch(visible, /authlab\.sid/);
    assertNoProblems(page);
  });

  it('shows an error on /login and sets no cookie when the password is wrong', async (t) => {
    if (!needsChromium(t)) return;
    const page = await suite.browser.newPage();
    await signIn(page, 'alice@example.com', 'not-her-password');
    assert.equal(new URL(page.url()).pathname, '/login');
    const alert = page.getByRole('alert');
    assert.match((await alert.textContent()) ?? '', /do not match/);
    assert.equal(await alert.getAttribute('id'), 'login-error');
    assert.equal(await sessionCookie(page.context()), undefined);
    assert.equal((await page.request.get(url('/session/me'))).status(), 401);
    assertNoProblems(page);
  });

  it("lists another device's session and signs that device out from the table", async (t) => {
    if (!needsChromium(t)) return;
    const laptop = await signedInDevice();
    const phone = await signedInDevice();
    const phoneSession = await ownSessionId(phone);

    await laptop.reload();
    const row = laptop.locator(`#sessions tbody tr[data-session-id="${phoneSession}"]`);
    assert.equal(await row.count(), 1, "the phone's session is listed on the laptop");
    assert.equal(await row.getByText('this browser').count(), 0);
    await row.getByRole('button', { name: 'Sign out' }).click();
    await row.waitFor({ state: 'detached' });

    assert.equal((await phone.request.get(url('/session/me'))).status(), 401);
    await phone.goto(url('/me'));
    assert.equal(phone.url(), url('/login'), 'the phone is sent to sign in again');
    assert.equal((await laptop.request.get(url('/session/me'))).status(), 200, 'the laptop stays signed in');
    await laptop.reload();
    assert.equal(await laptop.locator(`#sessions tbody tr[data-session-id="${phoneSession}"]`).count(), 0);
    assertNoProblems(laptop);
    assertNoProblems(phone);
  });

  it('signs out back to the home page, after which /me redirects to /login', async (t) => {
    if (!needsChromium(t)) return;
    const page = await signedInDevice();
    await page.locator('#sign-out').click();
    await page.waitForURL(url('/'));
    assert.equal(await sessionCookie(page.context()), undefined);
    await page.goto(url('/me'));
    assert.equal(page.url(), url('/login'));
    assert.equal((await page.request.get(url('/session/me'))).status(), 401);
    assertNoProblems(page);
  });

  it('signs every device out with "Sign out everywhere"', async (t) => {
    if (!needsChromium(t)) return;
    const laptop = await signedInDevice('bob@example.com');
    const phone = await signedInDevice('bob@example.com');
    await laptop.getByRole('button', { name: 'Sign out everywhere' }).click();
    await laptop.waitForURL(url('/'));
    assert.equal((await laptop.request.get(url('/session/me'))).status(), 401);
    assert.equal((await phone.request.get(url('/session/me'))).status(), 401);
    await phone.goto(url('/me'));
    assert.equal(phone.url(), url('/login'));
    assertNoProblems(laptop);
    assertNoProblems(phone);
  });

  describe('login CSRF', () => {
    let attacker: Server;
    let attackerUrl: string;

    before(async () => {
      // Another port on 127.0.0.1: same *site* as the server, so SameSite=Lax alone does not help.
      const port = await freePort();
      attackerUrl = `http://127.0.0.1:${port}/`;
      attacker = createServer((_request, response) => {
        response.setHeader('content-type', 'text/html; charset=utf-8');
        response.end(`<!doctype html><title>win a prize</title>
<form id="f" method="post" action="${url('/session/login')}">
<input name="email" value="alice@example.com"><input name="password" value="${DEMO_PASSWORD}">
</form>
<script>document.getElementById('f').submit()</script>`);
      });
      await new Promise<void>((resolve) => attacker.listen(port, '127.0.0.1', resolve));
    });
    after(() => new Promise<void>((resolve) => attacker.close(() => resolve())));

    it('refuses a login form that another origin auto-submits, and sets no cookie', async (t) => {
      if (!needsChromium(t)) return;
      const page = await suite.browser.newPage();
      const posted = page.waitForResponse(
        (response) => response.url() === url('/session/login') && response.request().method() === 'POST',
      );
      await page.goto(attackerUrl);
      const response = await posted;
      const headers = await response.request().allHeaders();
      assert.equal(headers['sec-fetch-site'], 'same-site', 'the browser did send the cross-origin post');
      // Refused, and shown as other form errors are: back on /login with a message.
      assert.equal(response.status(), 303);
      assert.equal(response.headers().location, url('/login?error=forbidden_origin'));
      await page.waitForURL(url('/login?error=forbidden_origin'));
      assert.match(String(await page.getByRole('alert').textContent()), /was refused and nothing changed/);
      assert.equal(await sessionCookie(page.context()), undefined, 'no session cookie was set');
      assert.equal((await page.request.get(url('/session/me'))).status(), 401);
    });
  });
});
