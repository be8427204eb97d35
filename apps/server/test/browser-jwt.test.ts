import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { needsChromium, type ServerAndBrowser, useServerAndBrowser } from './support/browser.ts';
import { DEMO_PASSWORD, manualClock } from './support/server.ts';

const REFRESH_COOKIE = '__Secure-authlab.rt';

/** Chromium logs every 4xx answer to fetch as a console error; a test that provokes one expects it. */
const expectedRejection = (problem: string, status: number) =>
  problem.includes(`Failed to load resource: the server responded with a status of ${status}`);

function sharedHelpers(suite: ServerAndBrowser) {
  const url = (path: string) => new URL(path, suite.server.url).href;

  /** Signs in through the playground's form, as a person would, and waits for the token. */
  async function signIn(page: Page, { email = 'alice@example.com', device = '' } = {}): Promise<void> {
    await page.goto(url('/jwt'));
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(DEMO_PASSWORD);
    if (device) await page.getByLabel('Device name').fill(device);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Your access token' }).waitFor();
  }

  const decodedClaims = async (page: Page) => JSON.parse((await page.locator('#jwt-claims').textContent()) ?? '');
  const decodedHeader = async (page: Page) => JSON.parse((await page.locator('#jwt-header').textContent()) ?? '');
  const shownJti = async (page: Page) => (await page.locator('#jwt-jti').textContent()) ?? '';

  const refreshCookie = async (context: BrowserContext) =>
    (await context.cookies()).find((cookie) => cookie.name === REFRESH_COOKIE);

  const newPage = () => suite.browser.newPage();
  return { url, signIn, decodedClaims, decodedHeader, shownJti, refreshCookie, newPage };
}

describe('the JWT playground in a real Chromium', () => {
  const suite = useServerAndBrowser();
  let aliceId: string;

  before(async () => {
    const alice = await suite.server.deps.store.users.findByEmail('alice@example.com');
    assert.ok(alice, 'alice is seeded');
    aliceId = alice.id;
  });

  const { url, signIn, decodedClaims, decodedHeader, shownJti, refreshCookie, newPage } = sharedHelpers(suite);
  const assertNoProblems = (page: Page) => assert.deepEqual(suite.browser.problems(page), []);

  it('links the JWT card on the home page to the playground and to the JWKS', async (t) => {
    if (!needsChromium(t)) return;
    const page = await newPage();
    await page.goto(url('/'));
    const card = page.locator('#mode-jwt');
    assert.equal(await card.getByText('Coming with the next milestone').count(), 0);
    assert.equal(
      await card.getByRole('link', { name: 'Public keys (JWKS)' }).getAttribute('href'),
      '/.well-known/jwks.json',
    );
    await card.getByRole('link', { name: 'Open the JWT playground' }).click();
    await page.waitForURL(url('/jwt'));
    assert.ok(await page.getByRole('heading', { level: 1, name: 'JWT playground' }).isVisible());
    assert.ok(await page.getByRole('heading', { name: 'Sign in for a token' }).isVisible());
    assertNoProblems(page);
  });

  it('signs alice in and shows the decoded header and claims of her EdDSA at+jwt', async (t) => {
    if (!needsChromium(t)) return;
    const page = await newPage();
    await signIn(page);
    const header = await decodedHeader(page);
    assert.equal(header.alg, 'EdDSA');
    assert.equal(header.typ, 'at+jwt');
    assert.equal(typeof header.kid, 'string');
    const claims = await decodedClaims(page);
    assert.equal(claims.sub, aliceId);
    assert.equal(claims.iss, suite.server.url.replace(/\/$/, ''));
    assert.equal(claims.aud, `${suite.server.url.replace(/\/$/, '')}/api`);
    assert.equal(claims.role, 'user');
    assert.equal(await page.locator('#jwt-sub').textContent(), aliceId);
    assert.equal(await shownJti(page), claims.jti);
    // Readable times, and a countdown that starts near the default 15 minutes.
    assert.match((await page.locator('#jwt-exp').textContent()) ?? '', new RegExp(`\\(${claims.exp}\\)$`));
    assert.match((await page.locator('#jwt-time-left').textContent()) ?? '', /^1[45]:\d\d$/);
    assert.equal(await page.getByRole('timer').count(), 1);
    assert.equal(await page.locator('#jwt-signin').isVisible(), false, 'the form is gone');
    assertNoProblems(page);
  });

  it('keeps the tokens out of storage and script-readable cookies: the refresh cookie is HttpOnly, Path=/jwt, SameSite=Strict', async (t) => {
    if (!needsChromium(t)) return;
    const page = await newPage();
    await signIn(page);
    const encoded = await page.locator('#jwt-encoded').textContent();
    assert.match(encoded ?? '', /^[\w-]+\.[\w-]+\.[\w-]+$/, 'the page does hold a token, in memory');
    const cookie = await refreshCookie(page.context());
    assert.ok(cookie, `the browser holds ${REFRESH_COOKIE}`);
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.secure, true);
    assert.equal(cookie.path, '/jwt');
    assert.equal(cookie.sameSite, 'Strict');

    const stored = await page.evaluate<{ cookie: string; storage: string[] }>(`({
      cookie: document.cookie,
      storage: [localStorage, sessionStorage].flatMap((area) =>
        Object.keys(area).flatMap((key) => [key, area.getItem(key)])),
    })`);
    assert.doesNotMatch(stored.cookie, /authlab\.rt/);
    assert.ok(!stored.cookie.includes(cookie.value));
    for (const entry of stored.storage) {
      assert.ok(!entry.includes(encoded ?? '') && !/eyJ[\w-]+\./.test(entry), `no access token in storage: ${entry}`);
      assert.ok(!entry.includes(cookie.value), `no refresh token in storage: ${entry}`);
      assert.doesNotMatch(entry, /access_token|refresh_token/);
    }
    assertNoProblems(page);
  });

  it('calls /api/me with the Bearer token and shows mode "jwt"', async (t) => {
    if (!needsChromium(t)) return;
    const page = await newPage();
    await signIn(page);
    const answered = page.waitForResponse((response) => response.url() === url('/api/me'));
    await page.getByRole('button', { name: 'Call /api/me' }).click();
    const response = await answered;
    assert.match((await response.request().allHeaders()).authorization ?? '', /^Bearer ey/);
    await page.locator('#jwt-response-body').getByText('"mode": "jwt"').waitFor();
    assert.match((await page.locator('#jwt-response-status').textContent()) ?? '', /^200/);
    const body = JSON.parse((await page.locator('#jwt-response-body').textContent()) ?? '');
    assert.deepEqual(body, { sub: aliceId, email: 'alice@example.com', role: 'user', mode: 'jwt' });
    assertNoProblems(page);
  });

  it('"Refresh now" rotates the cookie and shows a token with a new jti', async (t) => {
    if (!needsChromium(t)) return;
    const page = await newPage();
    await signIn(page);
    const before = await shownJti(page);
    const cookieBefore = (await refreshCookie(page.context()))?.value;
    await page.getByRole('button', { name: 'Refresh now' }).click();
    await page.locator('#jwt-rotation').waitFor();
    const afterJti = await shownJti(page);
    assert.notEqual(afterJti, before);
    assert.equal((await decodedClaims(page)).jti, afterJti);
    assert.equal(await page.locator('#jwt-rotation').textContent(), `jti changed: ${before} → ${afterJti}`);
    const cookieAfter = (await refreshCookie(page.context()))?.value;
    assert.ok(cookieAfter && cookieAfter !== cookieBefore, 'the refresh cookie rotated');
    assertNoProblems(page);
  });

  it('restores the signed-in state after a reload through the refresh cookie alone', async (t) => {
    if (!needsChromium(t)) return;
    const page = await newPage();
    await signIn(page);
    const before = await shownJti(page);
    const refreshed = page.waitForResponse(
      (response) => response.url() === url('/jwt/refresh') && response.request().method() === 'POST',
    );
    await page.reload();
    const response = await refreshed;
    assert.equal(response.status(), 200);
    assert.equal(await response.request().postData(), null, 'no token in the body: the cookie carried it');
    assert.match((await response.request().allHeaders()).cookie ?? '', /__Secure-authlab\.rt=/);
    await page.getByRole('heading', { name: 'Your access token' }).waitFor();
    assert.equal((await decodedClaims(page)).sub, aliceId);
    assert.notEqual(await shownJti(page), before, 'a new access token: the old one died with the page');
    assert.equal(await page.locator('#jwt-signin').isVisible(), false, 'no password asked for');
    assertNoProblems(page);
  });

  it('lists the device name typed in under "My devices", marked as this browser', async (t) => {
    if (!needsChromium(t)) return;
    const page = await newPage();
    await signIn(page, { device: 'Workshop laptop 7' });
    await page.getByRole('button', { name: 'My devices' }).click();
    const row = page.locator('#jwt-devices-table tbody tr', { hasText: 'Workshop laptop 7' });
    await row.waitFor();
    assert.equal(await row.getByText('this browser').count(), 1);
    assert.ok(await page.getByRole('heading', { name: 'Your devices' }).isVisible());
    assertNoProblems(page);
  });

  it('signs out back to the form, deletes the cookie, and a reload stays signed out', async (t) => {
    if (!needsChromium(t)) return;
    const page = await newPage();
    await signIn(page);
    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await page.getByRole('heading', { name: 'Sign in for a token' }).waitFor();
    assert.equal(await page.locator('#jwt-signed-in').isVisible(), false);
    assert.equal(await refreshCookie(page.context()), undefined);
    await page.reload();
    await page.getByRole('heading', { name: 'Sign in for a token' }).waitFor();
    assert.equal(await page.locator('#jwt-signed-in').isVisible(), false);
    assert.equal(await page.getByLabel('Password').inputValue(), '');
    // Not just hidden: the server holds no live family for this browser.
    assert.equal((await page.request.post(url('/jwt/refresh'))).status(), 401);
    assertNoProblems(page);
  });

  it('shows the error code in an alert and stays on the form when the password is wrong', async (t) => {
    if (!needsChromium(t)) return;
    const page = await newPage();
    await page.goto(url('/jwt'));
    await page.getByLabel('Email').fill('alice@example.com');
    await page.getByLabel('Password').fill('not-her-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const alert = page.getByRole('alert');
    await alert.getByText('invalid_credentials').waitFor();
    assert.equal(await page.getByLabel('Password').getAttribute('aria-invalid'), 'true');
    assert.equal(await refreshCookie(page.context()), undefined);
    assert.deepEqual(
      suite.browser.problems(page).filter((problem) => !expectedRejection(problem, 401)),
      [],
    );
  });

  it('"Sign out everywhere" ends the other device too, whose next call falls back to the form', async (t) => {
    if (!needsChromium(t)) return;
    const laptop = await newPage();
    const phone = await newPage();
    await signIn(laptop, { email: 'bob@example.com', device: 'Laptop' });
    await signIn(phone, { email: 'bob@example.com', device: 'Phone' });
    await laptop.getByRole('button', { name: 'Sign out everywhere' }).click();
    await laptop.getByRole('heading', { name: 'Sign in for a token' }).waitFor();
    assert.equal(await refreshCookie(laptop.context()), undefined);

    // The phone's token in memory is revoked: 401, one refresh attempt (refused), back to the form.
    await phone.getByRole('button', { name: 'Call /api/me' }).click();
    await phone.getByRole('heading', { name: 'Sign in for a token' }).waitFor();
    assert.match((await phone.getByRole('alert').textContent()) ?? '', /invalid_grant/);
    // What happened stays on screen beside the form: the 401 and the log that led to it.
    assert.ok(await phone.locator('#jwt-response').isVisible());
    assert.equal(await phone.locator('#jwt-response-request').textContent(), 'GET /api/me');
    assert.match((await phone.locator('#jwt-response-status').textContent()) ?? '', /^401\b/);
    const log = (await phone.locator('#jwt-log').textContent()) ?? '';
    for (const line of ['GET /api/me → 401', 'POST /jwt/refresh → 401', 'Signed out by the server: invalid_grant']) {
      assert.ok(log.includes(line), `the log keeps "${line}": ${log}`);
    }
    assertNoProblems(laptop);
    assert.deepEqual(
      suite.browser.problems(phone).filter((problem) => !expectedRejection(problem, 401)),
      [],
    );
  });
});

describe('the JWT playground keeps its token fresh', () => {
  const serverClock = manualClock();
  const suite = useServerAndBrowser({ clock: serverClock });

  const { url, signIn, shownJti } = sharedHelpers(suite);

  it('refreshes silently 30 seconds before expiry, on a timer, without any click', async (t) => {
    if (!needsChromium(t)) return;
    const page = await suite.browser.newPage();
    // The page's clock is the test's to move (Playwright's fake timers); the server's stays put.
    await page.clock.install();
    await signIn(page);
    assert.match((await page.locator('#jwt-next-refresh').textContent()) ?? '', /, 0:30 before expiry/);
    const before = await shownJti(page);
    let refreshes = 0;
    page.on('request', (request) => {
      if (request.url() === url('/jwt/refresh')) refreshes += 1;
    });
    const refreshed = page.waitForResponse((response) => response.url() === url('/jwt/refresh'));
    await page.clock.fastForward('14:00');
    assert.match((await page.locator('#jwt-time-left').textContent()) ?? '', /^[01]:\d\d$/, 'the countdown moved');
    assert.equal(refreshes, 0, 'not yet: the refresh is due 14:30 after sign-in');
    assert.equal(await shownJti(page), before);
    await page.clock.fastForward('01:00');
    assert.equal((await refreshed).status(), 200);
    await page.locator('#jwt-jti', { hasNotText: before }).waitFor();
    assert.match((await page.locator('#jwt-time-left').textContent()) ?? '', /^1[45]:\d\d$/, 'a fresh 15 minutes');
    assert.deepEqual(suite.browser.problems(page), []);
  });

  it('answers a 401 from the API by refreshing once and retrying the call once', async (t) => {
    if (!needsChromium(t)) return;
    const page = await suite.browser.newPage();
    await signIn(page);
    const before = await shownJti(page);
    // The token expires on the server's clock while the page's timer has not fired yet.
    serverClock.advance(16 * 60_000);
    const calls: number[] = [];
    page.on('response', (response) => {
      if (response.url() === url('/api/me')) calls.push(response.status());
    });
    await page.getByRole('button', { name: 'Call /api/me' }).click();
    await page.locator('#jwt-response-body').getByText('"mode": "jwt"').waitFor();
    assert.deepEqual(calls, [401, 200]);
    assert.match((await page.locator('#jwt-response-status').textContent()) ?? '', /^200\b/);
    assert.equal(await page.locator('#jwt-response-note').textContent(), 'after one silent refresh');
    assert.notEqual(await shownJti(page), before);
    assert.deepEqual(
      suite.browser.problems(page).filter((problem) => !expectedRejection(problem, 401)),
      [],
    );
  });
});
