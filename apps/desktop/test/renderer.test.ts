/**
 * The desktop window as people use it: the built renderer in a real Chromium, `window.authlab`
 * bridged to the real IPC handlers running here in Node, against a real server. The OIDC panel
 * signs in through a second browser context playing the system browser.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import {
  DEMO_PASSWORD,
  findChromium,
  launchTestBrowser,
  requireComponent,
  type ServerProcess,
  startServerProcess,
  type TestBrowser,
} from '@authlab/testkit';
import type { BrowserContext, Page } from 'playwright-core';
import { signInAtProvider } from '../../../packages/native-client/test/loopback-support.ts';
import { buildDesktop } from '../scripts/build.ts';
import type { TokenTiming } from '../src/core/token-panel.ts';
import { startTestCore, type TestCore } from './support/core.ts';
import { bridgeToCore, panelOf, serveRenderer, waitFor } from './support/window.ts';

const ALICE = 'alice@example.com';
// The README's screenshot is refreshed only when asked (UPDATE_SCREENSHOTS=1), so a test run never
// leaves tracked files changed; otherwise the shots go to the system temp folder.
const SCREENSHOT =
  process.env.UPDATE_SCREENSHOTS === '1'
    ? new URL('../docs/screenshot.png', import.meta.url).pathname
    : join(tmpdir(), `authlab-desktop-${process.pid}`, 'screenshot.png');
const chromiumFound = findChromium() !== null;
const needsChromium = (t: TestContext) => requireComponent(t, chromiumFound, 'Chromium', 'apt-get install chromium');

let server: ServerProcess;
let browser: TestBrowser;
let buildDir: string;
let renderer: Awaited<ReturnType<typeof serveRenderer>>;

before(async () => {
  if (!chromiumFound) return;
  server = await startServerProcess({ env: { ACCESS_TOKEN_TTL: '1m' } });
  buildDir = await mkdtemp(join(tmpdir(), 'authlab-desktop-build-'));
  await buildDesktop({ outDir: buildDir });
  renderer = await serveRenderer(join(buildDir, 'renderer'));
  browser = await launchTestBrowser();
});

after(async () => {
  await browser?.close();
  await renderer?.close();
  await server?.stop();
  if (buildDir) await rm(buildDir, { recursive: true, force: true });
});

/** The window and its "system browser": the handlers' openExternal drives the second context. */
async function openWindow(options: { colorScheme?: 'light' | 'dark'; tokenTiming?: TokenTiming } = {}) {
  const systemBrowser = await browser.newPage();
  const opened: string[] = [];
  const browserFailures: unknown[] = [];
  const test = await startTestCore({
    server: server.url,
    appUrl: renderer.appUrl,
    signInTimeoutMs: 60_000,
    ...(options.tokenTiming ? { tokenTiming: options.tokenTiming } : {}),
    openExternal: async (url) => {
      opened.push(url);
      // The system browser is opened on the loopback listener's one-time start link.
      if (new URL(url).pathname.startsWith('/start/')) {
        signInAtProvider(systemBrowser, url, 'allow').catch((error: unknown) => browserFailures.push(error));
      } else {
        await systemBrowser.goto(url);
      }
    },
  });
  const context: BrowserContext = await browser.newContext({ colorScheme: options.colorScheme ?? 'light' });
  await bridgeToCore(context, test.core);
  const page = await context.newPage();
  await page.goto(renderer.appUrl);
  await page.getByRole('heading', { name: /OIDC/ }).waitFor();
  return { page, context, test, opened, browserFailures, systemBrowser };
}

describe('the desktop window', () => {
  let page: Page;
  let test: TestCore;
  let opened: string[];
  let browserFailures: unknown[];

  before(async () => {
    if (!chromiumFound) return;
    ({ page, test, opened, browserFailures } = await openWindow());
  });
  after(async () => {
    await test?.close();
  });

  it('shows three panels side by side, signed out, with the key store named', async (t) => {
    if (!needsChromium(t)) return;
    const headings = await page.locator('.panel h2').allTextContents();
    assert.deepEqual(headings, ['OIDC system browser', 'JWT first-party sign-in', 'Session cookie kept in the app']);
    const boxes = await Promise.all(
      ['oidc', 'jwt', 'session'].map((mode) => page.locator(`#panel-${mode}`).boundingBox()),
    );
    assert.ok(
      boxes.every((box) => box && Math.abs(box.y - (boxes[0]?.y ?? 0)) < 2),
      'one row',
    );
    assert.ok((boxes[0]?.x ?? 0) < (boxes[1]?.x ?? 0) && (boxes[1]?.x ?? 0) < (boxes[2]?.x ?? 0));
    for (const mode of ['oidc', 'jwt', 'session'] as const) {
      assert.equal(await panelOf(page, mode).text('who'), 'Not signed in');
      assert.equal(await panelOf(page, mode).button('Call API').isDisabled(), true);
    }
    assert.equal(await page.locator('#storage-backend').textContent(), 'gnome_libsecret');
    assert.equal(await page.locator('#server a').getAttribute('href'), server.url);
  });

  it('signs in through the system browser (OIDC), showing who, the countdown and the claims', async (t) => {
    if (!needsChromium(t)) return;
    const oidc = panelOf(page, 'oidc');
    await oidc.button('Sign in with your browser').click();
    await oidc.waitForWho(new RegExp(`Signed in as ${ALICE}`));
    assert.deepEqual(browserFailures, []);
    // What the browser's command line carries: the start link alone, no state or PKCE challenge.
    assert.match(opened[0] ?? '', /^http:\/\/127\.0\.0\.1:\d+\/start\/[\w-]{43}$/);
    assert.doesNotMatch(opened[0] ?? '', /state|code_challenge/);
    // Spent: the listener has closed (a second opening while it ran would have ended the sign-in).
    await assert.rejects(fetch(opened[0] ?? ''), 'the start link is dead once the sign-in is over');
    assert.match(await oidc.text('time-left'), /^0[01]:\d\d$/);
    const claims = await oidc.text('claims');
    assert.match(claims, new RegExp(`"iss": "${server.url}/oidc"`));
    assert.match(claims, /"exp": \d+,?\s+\/\/ \d\d:\d\d:\d\d/);
    assert.match(await oidc.text('storage'), /^Refresh token encrypted with safeStorage \(gnome_libsecret\)/);
  });

  it('signs in with the JWT and session forms', async (t) => {
    if (!needsChromium(t)) return;
    const jwt = panelOf(page, 'jwt');
    await jwt.signInWithForm(ALICE, DEMO_PASSWORD);
    await jwt.waitForWho(new RegExp(`Signed in as ${ALICE}`));
    assert.match(await jwt.text('claims'), new RegExp(`"iss": "${server.url}"`));
    assert.match(await jwt.text('time-left'), /^0[01]:\d\d$/);

    const session = panelOf(page, 'session');
    await session.signInWithForm(ALICE, DEMO_PASSWORD);
    await session.waitForWho(new RegExp(`Signed in as ${ALICE}`));
    assert.match(await session.text('time-left'), /^(29|30):\d\d$/, 'the 30-minute idle timeout');
    assert.match(await session.text('claims'), /"expiresAt"/);
    assert.match(await session.text('storage'), /^Session cookie in the main process's own jar/);
  });

  it('counts down live', async (t) => {
    if (!needsChromium(t)) return;
    const jwt = panelOf(page, 'jwt');
    const first = await jwt.text('time-left');
    await waitFor(
      () => jwt.text('time-left'),
      (now) => now !== first,
      'the countdown to move',
    );
  });

  it('shows a wrong password in plain words and keeps the form', async (t) => {
    if (!needsChromium(t)) return;
    const { page: other, test: otherCore } = await openWindow();
    try {
      const jwt = panelOf(other, 'jwt');
      await jwt.signInWithForm(ALICE, 'not the password');
      await waitFor(
        () => jwt.text('error-message'),
        (text) => text === 'Wrong email or password.',
        'the error',
      );
      assert.equal(await jwt.text('error-action'), 'Check both and try again.');
      assert.equal(await jwt.root.getByLabel('Email').isVisible(), true);
    } finally {
      await other.context().close();
      await otherCore.close();
    }
  });

  it('calls the API with each panel’s credential and shows the mode', async (t) => {
    if (!needsChromium(t)) return;
    for (const mode of ['oidc', 'jwt', 'session'] as const) {
      const panel = panelOf(page, mode);
      await panel.button('Call API').click();
      const result = await waitFor(
        () => panel.text('api-result'),
        (text) => text.includes('→ 200'),
        `${mode} API result`,
      );
      assert.match(result, new RegExp(`GET /api/me → 200: ${ALICE} via mode "${mode}"`));
    }
  });

  it('refreshes on request, counting each refresh and its time', async (t) => {
    if (!needsChromium(t)) return;
    for (const mode of ['oidc', 'jwt', 'session'] as const) {
      const panel = panelOf(page, mode);
      const before = await panel.refreshCount();
      await panel.button('Refresh now').click();
      await waitFor(
        () => panel.refreshCount(),
        (count) => count > before,
        `${mode} refresh count`,
      );
      assert.match(await panel.text('last-refresh'), /^\d\d:\d\d:\d\d$/);
    }
    const kinds = await page.locator('#timeline li .kind').allTextContents();
    assert.ok(kinds.includes('refresh'));
    assert.ok(kinds.includes('sign-in'));
  });

  it('draws each panel’s real traffic as a sequence diagram in the timeline, with no secret whole', async (t) => {
    if (!needsChromium(t)) return;
    for (const mode of ['oidc', 'jwt', 'session'] as const) {
      const figure = page.locator(`.wire-figure[data-mode="${mode}"]`);
      await figure.locator('svg g.msg').first().waitFor();
      assert.ok((await figure.locator('svg g.msg').count()) >= 2, `${mode}: requests and answers`);
    }
    const mermaid = async (mode: string) =>
      (await page.locator(`.wire-figure[data-mode="${mode}"] [data-field="mermaid"]`).textContent()) ?? '';
    assert.match(await mermaid('oidc'), /app->>browser: open \/start\/… → \/oidc\/auth/);
    assert.match(await mermaid('oidc'), /app->>provider: POST \/oidc\/token \(.*grant_type=authorization_code/);
    assert.match(await mermaid('jwt'), /app->>server: POST \/jwt\/login \(email=alice@example\.com, password=•••/);
    assert.match(await mermaid('jwt'), /server-->>app: 200 \(.*access_token=eyJ\w{3}…\(\d+ chars\)/);
    // What the window holds and shows: never a password, a JWT or a 43-character secret whole.
    // (The PKCE challenge is public by design: a hash that travels through the browser.)
    const shown = [JSON.stringify(test.core.snapshot().wire), await page.locator('.wire').textContent()]
      .join('\n')
      .replace(/code_challenge[=:"\s,]+[\w-]{43}/g, 'code_challenge');
    assert.equal(shown.includes(DEMO_PASSWORD), false);
    assert.doesNotMatch(shown, /eyJ[\w-]{10,}\.[\w-]{10,}\.[\w-]{10,}/, 'no whole JWT');
    assert.doesNotMatch(shown, /[\w-]{43}/, 'no whole refresh token, code or verifier');
    assert.deepEqual(browserFailures, []);
  });

  it('is operable from the keyboard alone', async (t) => {
    if (!needsChromium(t)) return;
    const apiCalls = () => page.locator('#timeline li[data-kind="api-call"]').count();
    const before = await apiCalls();
    // The skip link leads into the panels; the first control there is the OIDC panel's Call API.
    await page.locator('.skip-link').focus();
    await page.keyboard.press('Enter');
    await page.keyboard.press('Tab');
    assert.equal(await page.locator(':focus').textContent(), 'Call API');
    await page.keyboard.press('Enter');
    await waitFor(apiCalls, (count) => count > before, 'an API call made from the keyboard');
    await page.keyboard.press('Tab');
    assert.equal(await page.locator(':focus').textContent(), 'Refresh now');
    const outline = await page.evaluate('getComputedStyle(document.activeElement).outlineStyle');
    assert.equal(outline, 'solid', 'the focus is visible');
  });

  it('looks finished, in light and in dark (screenshots)', async (t) => {
    if (!needsChromium(t)) return;
    await mkdir(join(SCREENSHOT, '..'), { recursive: true });
    await page.evaluate('document.activeElement?.blur()');
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    assert.ok((await readFile(SCREENSHOT)).length > 10_000);
    const dark = await openWindow({ colorScheme: 'dark' });
    try {
      const background = await dark.page.evaluate('getComputedStyle(document.documentElement).backgroundColor');
      assert.equal(background, 'rgb(16, 20, 24)', 'the dark palette');
      await dark.page.screenshot({ path: SCREENSHOT.replace('.png', '-dark.png'), fullPage: true });
    } finally {
      await dark.page.context().close();
      await dark.test.close();
    }
  });

  it('signs the JWT panel out and wipes its refresh token', async (t) => {
    if (!needsChromium(t)) return;
    const jwt = panelOf(page, 'jwt');
    await jwt.button('Sign out').click();
    await jwt.waitForWho(/^Not signed in$/);
    assert.equal(await jwt.root.getByLabel('Email').isVisible(), true, 'the form is back');
    assert.equal(await jwt.text('time-left'), '—');
    const vault = JSON.parse(await readFile(join(test.userDataDir, 'credentials.json'), 'utf8')) as {
      entries: Record<string, string>;
    };
    assert.deepEqual(Object.keys(vault.entries).sort(), [`oidc:${server.url}`, `session:${server.url}`]);
  });

  it('signs out everywhere from OIDC: the session panel learns it at once, with the reason', async (t) => {
    if (!needsChromium(t)) return;
    const oidc = panelOf(page, 'oidc');
    const session = panelOf(page, 'session');
    await oidc.button('Sign out everywhere').click();
    await oidc.waitForWho(/^Not signed in$/);
    await session.waitForWho(/^Not signed in$/);
    assert.match(await session.text('error-message'), /The server ended this session/);
    assert.equal(await session.text('error-action'), 'Sign in again.');
    const kinds = await page.locator('#timeline li .kind').allTextContents();
    assert.ok(kinds.includes('everywhere'));
    assert.ok(kinds.includes('revoked'));
    assert.ok(
      opened.some((url) => url.startsWith(`${server.url}/oidc/session/end`)),
      'end-session opened in the browser',
    );
    assert.deepEqual(browser.problems(page), [], 'no console errors or CSP violations');
  });

  it('gives a page of another origin in the window nothing: the handlers refuse its sender', async (t) => {
    if (!needsChromium(t)) return;
    const stranger = await page.context().newPage();
    await stranger.goto(`${server.url}/login`);
    const result = (await stranger.evaluate(() =>
      (globalThis as unknown as { authlab: { getState(): Promise<unknown> } }).authlab.getState(),
    )) as { ok: boolean; error?: { code: string } };
    assert.deepEqual({ ok: result.ok, code: result.error?.code }, { ok: false, code: 'forbidden_sender' });
    await stranger.close();
  });
});

describe('silent refresh in the window', () => {
  it('refreshes ahead of expiry by itself, and the count and countdown follow', async (t) => {
    if (!needsChromium(t)) return;
    // A 1-minute token refreshed 56 s ahead: the first silent refresh comes about 4 s after sign-in.
    const { page, test } = await openWindow({ tokenTiming: { marginMs: (lifetime) => lifetime - 4_000 } });
    try {
      const jwt = panelOf(page, 'jwt');
      await jwt.signInWithForm(ALICE, DEMO_PASSWORD);
      await jwt.waitForWho(new RegExp(`Signed in as ${ALICE}`));
      assert.equal(await jwt.refreshCount(), 0);
      await waitFor(
        () => jwt.refreshCount(),
        (count) => count >= 1,
        'a silent refresh',
      );
      const kinds = await page.locator('#timeline li .kind').allTextContents();
      assert.ok(kinds.includes('silent refresh'), kinds.join(', '));
      assert.match(await jwt.text('time-left'), /^0[01]:\d\d$/);
    } finally {
      await page.context().close();
      await test.close();
    }
  });
});
