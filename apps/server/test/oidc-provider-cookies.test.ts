import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as oidc from 'openid-client';
import { needsChromium, useServerAndBrowser } from './support/browser.ts';
import { RP_REDIRECT, signInWithOpenidClient, thirdPartyApp } from './support/relying-party.ts';
import { Client, DEMO_PASSWORD, startTestServer, type TestServer } from './support/server.ts';

/**
 * The provider's cookies get what our own session cookie gets (ASVS V3.4.1, V3.4.3; RFC 6265bis
 * §4.1.3): `Secure` wherever PUBLIC_URL is https (or a loopback origin), the `__Host-` prefix on
 * the sign-in session cookie (Path=/, no Domain, so no other host or path can set or shadow it),
 * `__Secure-` on the path-scoped interaction cookies; and the session id is stored only hashed.
 */

const attributesOf = (line: string) => line.split(';').map((part) => part.trim().toLowerCase());
const nameOf = (line: string) => line.slice(0, line.indexOf('='));

/** Set-Cookie lines of the provider (everything but our own session mode's cookie). */
function providerCookies(browser: Client) {
  return browser.setCookieLines.filter((line) => !nameOf(line).includes('authlab.sid'));
}

describe('the provider cookies behind https (PUBLIC_URL https, TLS ended by a proxy)', () => {
  let server: TestServer;
  let browser: Client;
  before(async () => {
    server = await startTestServer({ env: { PUBLIC_URL: 'https://auth.example.test', TRUST_PROXY: '1' } });
    browser = new Client(server.url);
    const config = await oidc.discovery(
      new URL('https://auth.example.test/oidc'),
      'authlab-desktop',
      undefined,
      oidc.None(),
      {
        // The proxy in front: every request of openid-client goes to the test server's port.
        [oidc.customFetch]: (url: string, init: RequestInit) => {
          const target = new URL(url);
          return fetch(new URL(target.pathname + target.search, server.url), {
            ...init,
            headers: { ...Object.fromEntries(new Headers(init.headers)), 'x-forwarded-proto': 'https' },
          });
        },
      },
    );
    await signInWithOpenidClient(config, browser, { scope: 'openid api' });
  });
  after(() => server.stop());

  it('marks every provider cookie Secure and HttpOnly', () => {
    const lines = providerCookies(browser);
    assert.ok(lines.length >= 3, lines.join('\n'));
    for (const line of lines) {
      assert.ok(attributesOf(line).includes('secure'), `not Secure: ${line}`);
      assert.ok(attributesOf(line).includes('httponly'), `not HttpOnly: ${line}`);
    }
  });

  it('names the sign-in session cookie __Host- (Path=/, no Domain) and the interaction cookies __Secure-', () => {
    const names = new Set(providerCookies(browser).map(nameOf));
    assert.ok(names.has('__Host-authlab.oidc.session'), [...names].join(', '));
    for (const line of providerCookies(browser).filter((l) => nameOf(l).startsWith('__Host-'))) {
      assert.ok(attributesOf(line).includes('path=/'), line);
      assert.ok(!attributesOf(line).some((a) => a.startsWith('domain=')), line);
    }
    for (const name of names) {
      assert.match(name, /^__(Host|Secure)-/, `a provider cookie without a prefix: ${name}`);
    }
  });
});

describe('the provider session in Chromium (loopback PUBLIC_URL) and in the store', () => {
  const suite = useServerAndBrowser();

  it('is a __Host- Secure cookie Chromium keeps, and signs in again without a password', async (t) => {
    if (!needsChromium(t)) return;
    const { server } = suite;
    const config = await thirdPartyApp(server.url);
    const page = await suite.browser.newPage();
    const challenge = await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier());
    const start = () =>
      oidc.buildAuthorizationUrl(config, {
        redirect_uri: RP_REDIRECT,
        scope: 'openid api',
        code_challenge: challenge,
        code_challenge_method: 'S256',
      }).href;
    // The loopback redirect has no listener here: stop at it rather than load it.
    await page.route(`${RP_REDIRECT}**`, (route) => route.fulfill({ status: 200, body: 'app' }));
    await page.goto(start());
    await page.fill('input[name="email"]', 'alice@example.com');
    await page.fill('input[name="password"]', DEMO_PASSWORD);
    await page.click('button[type="submit"]');
    await page.waitForURL(/\/oidc\/interaction\//);
    await page.click('button[type="submit"]');
    await page.waitForURL(`${RP_REDIRECT}**`);

    const cookies = await page.context().cookies(server.url);
    const session = cookies.find((cookie) => cookie.name === '__Host-authlab.oidc.session');
    assert.ok(session, `cookies: ${cookies.map((c) => c.name).join(', ')}`);
    assert.equal(session.secure, true);
    assert.equal(session.httpOnly, true);
    assert.equal(session.path, '/');

    // The session id is the cookie's value; the store holds only its hash.
    assert.equal(await server.deps.store.oidc.find('Session', session.value), null);
    const files = readdirSync(server.dataDir).filter((name) => name.includes('.db') || name.includes('sqlite'));
    assert.ok(files.length > 0, `no database in ${readdirSync(server.dataDir).join(', ')}`);
    for (const file of files) {
      assert.ok(
        !readFileSync(join(server.dataDir, file)).includes(session.value),
        `the session id in clear in ${file}`,
      );
    }

    // And the hashed session still works: the next authorization skips the password.
    await page.goto(start());
    await page.waitForURL(/\/oidc\/interaction\//);
    assert.equal(await page.locator('input[name="password"]').count(), 0, 'asked for the password again');
  });
});
