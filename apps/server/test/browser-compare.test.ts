import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { needsChromium, useServerAndBrowser } from './support/browser.ts';
import { DEMO_PASSWORD } from './support/server.ts';

/** Screenshots for people to look at (gitignored): light and dark, desktop and phone. */
const SHOTS = join(import.meta.dirname, '../../../.test-artifacts/compare');
const VIEWPORTS = { desktop: { width: 1280, height: 800 }, phone: { width: 390, height: 844 } } as const;
const MODES = ['session', 'jwt', 'oidc'] as const;

/** Chromium logs every 4xx answer to fetch as a console error; a test that provokes one expects it. */
const expectedRejection = (problem: string) => /status of 40[01]/.test(problem);

describe('the /compare dashboard in a real Chromium', () => {
  const suite = useServerAndBrowser();
  const url = (path: string) => new URL(path, suite.server.url).href;
  const panel = (page: Page, mode: string) => page.locator(`#panel-${mode}`);
  const field = (page: Page, mode: string, name: string) =>
    panel(page, mode).locator(`[data-field="${name}"]`).textContent();
  const signedIn = (page: Page, mode: string) =>
    panel(page, mode)
      .locator('[data-field="status"]', { hasText: /^signed in$/ })
      .waitFor();
  const signedOut = (page: Page, mode: string) =>
    panel(page, mode)
      .locator('[data-field="status"]', { hasText: /^signed out$/ })
      .waitFor();

  async function signInWithPassword(page: Page, mode: 'session' | 'jwt', email: string): Promise<void> {
    const p = panel(page, mode);
    await p.getByLabel('Email').fill(email);
    await p.getByLabel('Password').fill(DEMO_PASSWORD);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await signedIn(page, mode);
  }

  async function signInAtProvider(page: Page, email: string): Promise<void> {
    await panel(page, 'oidc').getByRole('button', { name: 'Sign in at the provider' }).click();
    await page.waitForURL(/\/oidc\/interaction\//);
    assert.equal(await page.locator('#oidc-client').textContent(), 'authlab compare dashboard');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(DEMO_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#allow').click();
    await page.waitForURL(url('/compare'));
    await signedIn(page, 'oidc');
  }

  async function signInAll(page: Page, email: string): Promise<void> {
    await page.goto(url('/compare'));
    await signInWithPassword(page, 'session', email);
    await signInWithPassword(page, 'jwt', email);
    await signInAtProvider(page, email);
    // The round trip through the provider reloaded the page: the other two came back by themselves.
    await signedIn(page, 'session');
    await signedIn(page, 'jwt');
  }

  /** Every credential and one-time secret the network carried, whole, as Chromium saw it. */
  function collectSecrets(page: Page): Set<string> {
    const secrets = new Set<string>([DEMO_PASSWORD]);
    page.on('request', (request) => {
      const authorization = request.headers().authorization;
      if (authorization) secrets.add(authorization.replace(/^Bearer /, ''));
      const params = new URL(request.url()).searchParams;
      for (const name of ['code', 'state', 'nonce']) if (params.get(name)) secrets.add(params.get(name) ?? '');
      const form = new URLSearchParams(request.postData() ?? '');
      for (const name of ['code', 'code_verifier', 'refresh_token'])
        if (form.get(name)) secrets.add(form.get(name) ?? '');
    });
    page.on('response', async (response) => {
      for (const header of (await response.headersArray()).filter((h) => h.name.toLowerCase() === 'set-cookie')) {
        const value = header.value.split(';')[0]?.split('=').slice(1).join('=') ?? '';
        if (value.length > 8) secrets.add(value);
      }
      if (!response.headers()['content-type']?.includes('json')) return;
      const body = (await response.json().catch(() => null)) as Record<string, unknown> | null;
      for (const name of ['access_token', 'refresh_token', 'id_token']) {
        if (typeof body?.[name] === 'string') secrets.add(body[name] as string);
      }
    });
    return secrets;
  }

  it('signs in with all three side by side: who, a live countdown and the claims of each', async (t) => {
    if (!needsChromium(t)) return;
    const page = await suite.browser.newPage();
    await page.goto(url('/compare'));
    assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'The three modes side by side');
    await signInAll(page, 'alice@example.com');
    for (const mode of MODES) {
      assert.match((await field(page, mode, 'who')) ?? '', /^Signed in as alice@example\.com/, mode);
      assert.match((await panel(page, mode).getByRole('timer').textContent()) ?? '', /^\d+:\d\d$/, mode);
    }
    const before = await panel(page, 'jwt').getByRole('timer').textContent();
    // Live: the countdown moves on by itself.
    await page.locator(`#panel-jwt [role="timer"]:not(:text-is("${before}"))`).waitFor();
    const session = JSON.parse((await field(page, 'session', 'claims')) ?? '');
    assert.equal(session.user.email, 'alice@example.com', 'the session’s claims are the server’s record');
    assert.match((await field(page, 'session', 'claims-source')) ?? '', /server’s record/);
    const jwt = JSON.parse((await field(page, 'jwt', 'claims')) ?? '');
    assert.equal(jwt.header.typ, 'at+jwt');
    const oidc = JSON.parse((await field(page, 'oidc', 'claims')) ?? '');
    assert.equal(oidc.id_token.aud, 'authlab-compare');
    assert.equal(oidc.access_token.aud, url('/api').replace(/\/$/, ''));
    assert.deepEqual(
      suite.browser.problems(page).filter((p) => !expectedRejection(p)),
      [],
    );
  });

  it('keeps each credential where its lesson says: HttpOnly cookies, memory, nothing in storage or the URL', async (t) => {
    if (!needsChromium(t)) return;
    const page = await suite.browser.newPage();
    await signInAll(page, 'bob@example.com');
    const cookies = await page.context().cookies();
    for (const name of ['__Host-authlab.sid', '__Secure-authlab.rt', '__Host-authlab.rec']) {
      const cookie = cookies.find((c) => c.name === name);
      assert.ok(cookie, `${name} is set`);
      assert.equal(cookie.httpOnly, true, `${name} is HttpOnly`);
    }
    assert.equal(await page.evaluate('document.cookie'), '', 'no cookie is visible to scripts');
    const storage = (await page.evaluate(
      'JSON.stringify({ local: { ...localStorage }, session: { ...sessionStorage } })',
    )) as string;
    assert.deepEqual(JSON.parse(storage), {
      local: { 'authlab.jwt.maybe-signed-in': '1' },
      session: {},
    });
    assert.equal(page.url(), url('/compare'), 'the code left the address bar');
    assert.match((await panel(page, 'jwt').locator('.where').textContent()) ?? '', /Caveat: memory/);
  });

  it('calls the API, refreshes and signs out in each panel, and signing out everywhere ends the others', async (t) => {
    if (!needsChromium(t)) return;
    const page = await suite.browser.newPage();
    await signInAll(page, 'admin@example.com');
    for (const mode of MODES) {
      const p = panel(page, mode);
      await p.getByRole('button', { name: 'Call API' }).click();
      await p.locator('[data-field="api-result"]', { hasText: `"mode":"${mode}"` }).waitFor();
      await p.getByRole('button', { name: 'Refresh now' }).click();
      await p.locator('[data-field="refresh-count"]', { hasText: '1' }).waitFor();
      assert.notEqual(await field(page, mode, 'last-refresh'), 'never');
    }
    const timeline = (await page.locator('#timeline').textContent()) ?? '';
    assert.match(timeline, /POST \/jwt\/refresh \(cookie\) → 200 \(Refresh now\)/);
    assert.match(timeline, /POST \/oidc\/token \(refresh_token\) → 200 \(Refresh now\)/);

    await panel(page, 'jwt').getByRole('button', { name: 'Sign out', exact: true }).click();
    await signedOut(page, 'jwt');
    await panel(page, 'oidc').getByRole('button', { name: 'Sign out everywhere' }).click();
    await signedOut(page, 'oidc');
    // The session panel still shows its last state; its next request finds the session gone.
    await panel(page, 'session').getByRole('button', { name: 'Call API' }).click();
    await panel(page, 'session').locator('[data-field="api-result"]', { hasText: '401' }).waitFor();
    await signedOut(page, 'session');
    assert.deepEqual(
      suite.browser.problems(page).filter((p) => !expectedRejection(p)),
      [],
    );
  });

  it('draws what passed under each panel, exportable as Mermaid, and no secret is ever recorded whole', async (t) => {
    if (!needsChromium(t)) return;
    const page = await suite.browser.newPage();
    const secrets = collectSecrets(page);
    await signInAll(page, 'alice@example.com');
    for (const mode of MODES) await panel(page, mode).getByRole('button', { name: 'Call API' }).click();
    await panel(page, 'jwt').getByRole('button', { name: 'Refresh now' }).click();
    await panel(page, 'oidc').getByRole('button', { name: 'Refresh now' }).click();
    await panel(page, 'oidc').locator('[data-field="refresh-count"]', { hasText: '1' }).waitFor();

    for (const mode of MODES) {
      const image = panel(page, mode).locator('[data-field="sequence"] img');
      await image.waitFor();
      assert.ok(await image.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth > 0), mode);
    }
    const mermaid = (await page.request.get(url('/compare/recording.mmd?mode=oidc'))).text();
    const text = await mermaid;
    assert.match(text, /^sequenceDiagram\n/);
    assert.match(text, /browser->>provider: GET \/oidc\/auth/);
    assert.match(text, /browser->>provider: POST \/oidc\/token \(grant_type=authorization_code/);
    assert.match(text, /provider-->>browser: 200 .*access_token=\S{6}…\(\d+ chars\)/);

    const recorded = [
      await (await page.request.get(url('/compare/recording'))).text(),
      await (await page.request.get(url('/compare/recording.svg'))).text(),
      await (await page.request.get(url('/compare/recording.mmd'))).text(),
    ].join('\n');
    const kinds = ['password', 'access token', 'refresh token', 'ID token', 'code', 'code_verifier', 'session cookie'];
    assert.ok(secrets.size >= kinds.length, `the network carried secrets to look for (${secrets.size})`);
    assert.match(recorded, /password: •••|password=•••/, 'the password is masked, not shortened');
    for (const secret of secrets) {
      const at = recorded.indexOf(secret);
      assert.equal(at, -1, `a secret was recorded whole: ${recorded.slice(Math.max(0, at - 200), at + 60)}`);
    }
    await page.screenshot({ path: join(SHOTS, 'diagrams-desktop-light.png'), fullPage: true });
  });

  it('says so when signing in at the provider again after sign-out asked no password', async (t) => {
    if (!needsChromium(t)) return;
    const page = await suite.browser.newPage();
    await page.goto(url('/compare'));
    await signInAtProvider(page, 'bob@example.com');
    assert.doesNotMatch((await field(page, 'oidc', 'who')) ?? '', /no password/);
    await panel(page, 'oidc').getByRole('button', { name: 'Sign out', exact: true }).click();
    await signedOut(page, 'oidc');
    // auth_time counts whole seconds: the next sign-in must fall in a later one to be told apart.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await panel(page, 'oidc').getByRole('button', { name: 'Sign in at the provider' }).click();
    // The provider still knows bob: no password form, only the consent that offline_access asks for.
    await page.locator('#allow').click();
    await page.waitForURL(url('/compare'));
    await signedIn(page, 'oidc');
    assert.match((await field(page, 'oidc', 'who')) ?? '', /no password asked: the provider still knew you/);
  });

  it('records nothing for a browser that did not ask', async (t) => {
    if (!needsChromium(t)) return;
    const page = await suite.browser.newPage();
    await page.goto(url('/login'));
    await page.getByLabel('Email').fill('bob@example.com');
    await page.getByLabel('Password').fill(DEMO_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(url('/me'));
    const answer = await page.request.get(url('/compare/recording'));
    assert.equal(answer.status(), 404);
    assert.equal(((await answer.json()) as { error: string }).error, 'no_recording');
    assert.equal(
      (await page.context().cookies()).some((c) => c.name.includes('authlab.rec')),
      false,
    );
  });

  for (const colorScheme of ['light', 'dark'] as const) {
    for (const [size, viewport] of Object.entries(VIEWPORTS)) {
      it(`fits a ${size} screen in ${colorScheme} mode (screenshots in .test-artifacts/compare)`, async (t) => {
        if (!needsChromium(t)) return;
        mkdirSync(SHOTS, { recursive: true });
        const page = await suite.browser.newPage({ viewport, colorScheme });
        await page.goto(url('/compare'));
        await page.screenshot({ path: join(SHOTS, `signed-out-${size}-${colorScheme}.png`), fullPage: true });
        await signInAll(page, 'alice@example.com');
        await panel(page, 'oidc').locator('[data-field="sequence"] img').waitFor();
        const overflow = await page.evaluate(
          'document.documentElement.scrollWidth - document.documentElement.clientWidth',
        );
        assert.equal(overflow, 0, 'no sideways scrolling of the page');
        await page.screenshot({ path: join(SHOTS, `signed-in-${size}-${colorScheme}.png`), fullPage: true });
        assert.deepEqual(
          suite.browser.problems(page).filter((p) => !expectedRejection(p)),
          [],
        );
      });
    }
  }
});
