/**
 * The desktop app's OIDC panel at an OpenID Provider we did not write (a standalone oidc-provider
 * under a Keycloak-style `/realms/workshop` issuer), through a real Chromium as the system
 * browser, and the settings that point it there.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { get } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { findChromium, launchTestBrowser, requireComponent, type TestBrowser } from '@authlab/testkit';
import type { Page } from 'playwright-core';
import {
  FOREIGN_CLIENT_ID,
  type ForeignProvider,
  signInAtForeignProvider,
  startForeignProvider,
} from '../../../packages/native-client/test/foreign-provider.ts';
import { type AppSnapshot, CHANNELS, type Result } from '../src/core/api.ts';
import { DesktopConfigError, loadDesktopConfig } from '../src/core/config.ts';
import { APP_SENDER } from './support/app-sender.ts';
import { startTestCore, type TestCore } from './support/core.ts';

const chromiumFound = findChromium() !== null;
const needsChromium = (t: TestContext) => requireComponent(t, chromiumFound, 'Chromium', 'apt-get install chromium');
/** No authlab server runs in this file: the JWT and session panels are not used. */
const NO_SERVER = 'http://127.0.0.1:9';

const ok = (result: Result<AppSnapshot>): AppSnapshot => {
  assert.equal(result.ok, true, result.ok ? '' : JSON.stringify(result.error));
  return (result as { ok: true; value: AppSnapshot }).value;
};

describe('desktop settings for another OpenID Provider', () => {
  it('reads issuer, client id, scope and API from the command line over the environment', () => {
    const config = loadDesktopConfig(
      {
        AUTHLAB_ISSUER: 'https://env.example.com/realms/x',
        AUTHLAB_CLIENT_ID: 'from-env',
        AUTHLAB_API: 'https://api.example.com/',
      },
      ['--issuer=https://tenant.auth0.com/', '--scope=openid  profile offline_access'],
    );
    assert.deepEqual(config, {
      server: 'http://localhost:4000',
      oidc: {
        issuer: 'https://tenant.auth0.com/',
        clientId: 'from-env',
        scope: 'openid profile offline_access',
        api: 'https://api.example.com',
      },
    });
    assert.deepEqual(loadDesktopConfig({}, []), { server: 'http://localhost:4000', oidc: {} });
  });

  it('refuses, naming the setting, a plain-http issuer off loopback, a scope without openid, an empty client id', () => {
    const cases: Array<[Record<string, string>, string[], RegExp]> = [
      [{}, ['--issuer=http://sso.example.com/realms/x'], /^--issuer: .*use https/],
      [{ AUTHLAB_SCOPE: 'email offline_access' }, [], /^AUTHLAB_SCOPE: must include openid/],
      [{}, ['--client-id=  '], /^--client-id: is empty/],
      [{ AUTHLAB_API: 'https://user:pw@api.example.com' }, [], /^AUTHLAB_API: .*no credentials/],
    ];
    for (const [env, argv, message] of cases) {
      assert.throws(
        () => loadDesktopConfig(env, argv),
        (error: unknown) => error instanceof DesktopConfigError && message.test(error.message),
        `${JSON.stringify(env)} ${argv.join(' ')}`,
      );
    }
  });
});

describe('the OIDC panel at a foreign provider (/realms/workshop)', () => {
  let idp: ForeignProvider;
  let browser: TestBrowser;
  before(async () => {
    if (!chromiumFound) return;
    idp = await startForeignProvider({ issuerPath: '/realms/workshop' });
    browser = await launchTestBrowser();
  });
  after(async () => {
    await browser?.close();
    await idp?.close();
  });

  /**
   * The desktop core at the foreign provider; its system browser is a Chromium page. `racer`, if
   * given, opens the start link first, as a program that read the browser's command line would.
   */
  async function coreAt(
    api: string,
    racer?: (startLink: string) => Promise<void>,
  ): Promise<{ test: TestCore; opened: string[]; page: Page }> {
    const page = await browser.newPage();
    const opened: string[] = [];
    const test = await startTestCore({
      server: NO_SERVER,
      oidc: { issuer: idp.issuer, clientId: FOREIGN_CLIENT_ID, api },
      signInTimeoutMs: 60_000,
      openExternal: async (url) => {
        opened.push(url);
        await racer?.(url);
        if (new URL(url).pathname.startsWith('/start/')) signInAtForeignProvider(page, url).catch(() => {});
      },
    });
    return { test, opened, page };
  }

  it('signs in through the system browser, names alice from the ID token, and calls the API with the token', async (t) => {
    if (!needsChromium(t)) return;
    const { test, opened } = await coreAt(idp.api);
    try {
      const snapshot = ok(await test.core.invoke(CHANNELS.signInWithBrowser, APP_SENDER, []));
      assert.equal(snapshot.issuer, idp.issuer);
      assert.equal(snapshot.panels.oidc.status, 'signed-in');
      assert.deepEqual(snapshot.panels.oidc.user, {
        sub: 'alice@example.com',
        email: 'alice@example.com',
        role: 'from the ID token',
      });
      assert.equal(snapshot.panels.oidc.claims?.iss, idp.issuer);
      // The browser gets the listener's one-time start link, which redirected it to the provider.
      assert.match(opened[0] ?? '', /^http:\/\/127\.0\.0\.1:\d+\/start\/[\w-]{43}$/);
      assert.doesNotMatch(opened[0] ?? '', /state|code_challenge|client_id/);
      const vault = JSON.parse(await readFile(join(test.userDataDir, 'credentials.json'), 'utf8')) as {
        entries: Record<string, string>;
      };
      assert.deepEqual(Object.keys(vault.entries), [`oidc:${idp.issuer} ${FOREIGN_CLIENT_ID}`]);

      const called = ok(await test.core.invoke(CHANNELS.callApi, APP_SENDER, [{ mode: 'oidc' }]));
      assert.equal(called.panels.oidc.lastCall?.status, 200);
      assert.deepEqual(called.panels.oidc.lastCall?.body, {
        sub: 'alice@example.com',
        scope: 'api',
        client_id: FOREIGN_CLIENT_ID,
      });

      const signedOut = ok(await test.core.invoke(CHANNELS.signOut, APP_SENDER, [{ mode: 'oidc', everywhere: false }]));
      assert.equal(signedOut.panels.oidc.status, 'signed-out');
      assert.equal(signedOut.panels.oidc.error, null, 'revoked at the foreign provider');
    } finally {
      await test.close();
    }
  });

  it('stops the sign-in (start_reused) when a program opened the start link before the browser, which gets a 404', async (t) => {
    if (!needsChromium(t)) return;
    const racerAnswers: number[] = [];
    // Like curl: a plain GET without the Sec-Fetch headers of a page's fetch (which the listener refuses).
    const { test, page } = await coreAt(idp.api, async (startLink) => {
      const status = await new Promise<number>((resolve, reject) => {
        get(startLink, { agent: false }, (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        }).on('error', reject);
      });
      racerAnswers.push(status);
    });
    const browserAnswer = page.waitForResponse((response) => new URL(response.url()).pathname.startsWith('/start/'));
    try {
      const result = await test.core.invoke(CHANNELS.signInWithBrowser, APP_SENDER, []);
      assert.deepEqual(racerAnswers, [302], 'the racer got the redirect');
      assert.equal((await browserAnswer).status(), 404, 'the browser found the link spent');
      assert.equal(
        await page.locator('#result').getAttribute('data-outcome'),
        'failure',
        'and says the sign-in failed',
      );
      assert.equal(result.ok, false);
      assert.equal(result.ok ? '' : result.error.code, 'start_reused');
      assert.equal(test.core.snapshot().panels.oidc.status, 'signed-out', 'nobody was signed in');
    } finally {
      await test.close();
    }
  });

  it('stays signed in when the API answers a web page instead of JSON', async (t) => {
    if (!needsChromium(t)) return;
    const { test } = await coreAt(`${idp.api}/html`);
    try {
      const snapshot = ok(await test.core.invoke(CHANNELS.signInWithBrowser, APP_SENDER, []));
      assert.equal(snapshot.panels.oidc.status, 'signed-in');
      assert.equal(snapshot.panels.oidc.error, null);
      assert.equal(snapshot.panels.oidc.user?.email, 'alice@example.com');
    } finally {
      await test.close();
    }
  });
});
