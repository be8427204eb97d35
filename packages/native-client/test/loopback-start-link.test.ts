/**
 * Issue 15, item 6: the browser's command line (readable by every process of the user, e.g.
 * /proc/<pid>/cmdline) must not carry the authorization request's `state` and PKCE challenge,
 * with which a local program could sign in as itself and hand its code to the app (login CSRF).
 * The browser is opened on the listener's one-time `/start/<secret>` link instead, which
 * redirects once; a second opening means someone else holds the link, and ends the sign-in.
 *
 * Against a provider we did not write (oidc-provider as a foreign IdP), with a real Chromium as
 * the system browser for the complete sign-in.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext } from 'node:test';
import { CHROMIUM_ARGS, findChromium, requireComponent } from '@authlab/testkit';
import { type Browser, chromium } from 'playwright-core';
import type { BrowserOpener } from '../src/browser-opener.ts';
import { LoopbackAuthorizer } from '../src/loopback-authorizer.ts';
import { NativeAuthError } from '../src/types.ts';
import {
  FOREIGN_CLIENT_ID,
  type ForeignProvider,
  signInAtForeignProvider,
  startForeignProvider,
} from './foreign-provider.ts';
import {
  assertPortClosed,
  authorizationRequestOf,
  loopbackRequest,
  loopbackTarget,
  recordingOpener,
  started,
} from './loopback-support.ts';

const START_LINK = /^http:\/\/127\.0\.0\.1:\d+\/start\/[A-Za-z0-9_-]{43}$/;
const chromiumPath = findChromium();

const withCode = (code: string) => (error: unknown) => {
  assert.ok(error instanceof NativeAuthError, `a NativeAuthError, got ${String(error)}`);
  assert.equal(error.code, code, error.message);
  return true;
};

/** An opener that only records what it was given, and opens nothing. */
function capturingOpener() {
  let resolve!: (opened: { url: string; authorizationUrl: string | undefined }) => void;
  const opened = new Promise<{ url: string; authorizationUrl: string | undefined }>((r) => {
    resolve = r;
  });
  return {
    openBrowser: async (url: string, request?: { authorizationUrl: string }) =>
      resolve({ url, authorizationUrl: request?.authorizationUrl }),
    opened,
  };
}

describe('LoopbackAuthorizer: the browser is opened on a one-time start link', () => {
  let idp: ForeignProvider;
  before(async () => {
    idp = await startForeignProvider();
  });
  after(async () => {
    await idp?.close();
  });

  const authorizer = (openBrowser: BrowserOpener) =>
    new LoopbackAuthorizer({ issuer: idp.issuer, clientId: FOREIGN_CLIENT_ID, timeoutMs: 30_000, openBrowser });

  it('hands the browser a link with no state, challenge or query, which answers once with a 302 (no-store) to the authorization request', async () => {
    const opener = capturingOpener();
    const controller = new AbortController();
    const login = started(authorizer(opener.openBrowser).authorize({ signal: controller.signal }));
    const { url, authorizationUrl } = await opener.opened;

    assert.match(url, START_LINK);
    assert.doesNotMatch(url, /state|code_challenge|redirect_uri|\?/);
    const target = loopbackTarget(url);
    const start = await loopbackRequest(target, target.path);
    assert.equal(start.status, 302);
    assert.equal(start.headers.location, authorizationUrl);
    assert.equal(start.headers['cache-control'], 'no-store');
    assert.equal(start.headers['referrer-policy'], 'no-referrer');
    const request = authorizationRequestOf(String(start.headers.location));
    assert.ok(String(start.headers.location).startsWith(`${idp.issuer}/auth?`));
    assert.ok(request.state.length >= 43, 'the state travels in the redirect');
    assert.equal(request.params.get('code_challenge_method'), 'S256');
    assert.equal(request.port, target.port, 'the redirect_uri names the same listener');

    controller.abort();
    await assert.rejects(login, withCode('aborted'));
    await assertPortClosed(target);
  });

  it('ends the sign-in with start_reused when the link is opened a second time while it runs: a racing program that has not finished gets no code accepted', async () => {
    // The racing program opens the link first and gets the authorization request...
    const racer = recordingOpener();
    const login = started(authorizer(racer.openBrowser).authorize());
    const stolen = authorizationRequestOf(await racer.url);
    const target = loopbackTarget(await racer.startUrl);

    // ...then the person's browser opens it: 404, and the sign-in stops at once.
    const browser = await loopbackRequest(target, target.path);
    assert.equal(browser.status, 404);
    await assert.rejects(login, withCode('start_reused'));
    await assertPortClosed(target);
    // The code the racer would get by signing in as itself finds no listener to take it.
    await assert.rejects(
      loopbackRequest(stolen, `/callback?code=racer&state=${stolen.state}&iss=${encodeURIComponent(idp.issuer)}`),
      /ECONNREFUSED/,
    );
  });

  it('answers look-alike start links 404 and keeps the sign-in and its link intact', async () => {
    const opener = capturingOpener();
    const controller = new AbortController();
    const login = started(authorizer(opener.openBrowser).authorize({ signal: controller.signal }));
    const { url } = await opener.opened;
    const target = loopbackTarget(url);
    const secret = target.path.slice('/start/'.length);
    const other = secret.startsWith('A') ? `B${secret.slice(1)}` : `A${secret.slice(1)}`;

    const lookalikes = {
      'another secret': await loopbackRequest(target, `/start/${other}`),
      'a longer secret': await loopbackRequest(target, `${target.path}x`),
      'no secret': await loopbackRequest(target, '/start/'),
      'with a query': await loopbackRequest(target, `${target.path}?a=1`),
      POST: await loopbackRequest(target, target.path, { method: 'POST' }),
      'another Host (DNS rebinding)': await loopbackRequest(target, target.path, {
        hostHeader: `evil.example:${target.port}`,
      }),
      'a frame, not a navigation': await loopbackRequest(target, target.path, {
        headers: { 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'iframe' },
      }),
    };
    for (const [what, answer] of Object.entries(lookalikes)) assert.equal(answer.status, 404, what);

    const real = await loopbackRequest(target, target.path);
    assert.equal(real.status, 302, 'none of them spent the link or ended the sign-in');
    controller.abort();
    await assert.rejects(login, withCode('aborted'));
  });

  describe('in Chromium as the system browser', () => {
    let browser: Browser | undefined;
    before(async () => {
      if (chromiumPath)
        browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: CHROMIUM_ARGS });
    });
    after(async () => {
      await browser?.close();
    });

    it('signs alice in at the foreign provider through the start link, which the browser opened once', async (t: TestContext) => {
      if (!requireComponent(t, chromiumPath !== null, 'Chromium', 'apt-get install chromium')) return;
      const page = await (browser as Browser).newPage();
      t.after(() => page.context().close());
      const starts: number[] = [];
      page.on('response', (response) => {
        if (new URL(response.url()).pathname.startsWith('/start/')) starts.push(response.status());
      });
      const opened: string[] = [];
      const failures: unknown[] = [];
      const login = authorizer(async (url) => {
        opened.push(url);
        signInAtForeignProvider(page, url).catch((error: unknown) => failures.push(error));
      }).authorize();
      const { claims, redirectUri } = await login;

      assert.deepEqual(failures, []);
      assert.equal(claims.email, 'alice@example.com');
      assert.equal(opened.length, 1);
      assert.match(opened[0] ?? '', START_LINK);
      assert.doesNotMatch(opened[0] ?? '', /state|code_challenge/);
      assert.deepEqual(starts, [302], 'one visit to the start link, answered with the redirect');
      await page.locator('#result').waitFor();
      assert.match(page.url(), /\/done\?ok=1$/);
      await assertPortClosed(loopbackTarget(redirectUri));
    });
  });
});
