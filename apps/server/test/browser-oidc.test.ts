import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { before, describe, it } from 'node:test';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import type { Page } from 'playwright-core';
import { needsChromium, useServerAndBrowser } from './support/browser.ts';
import { DESKTOP, pkcePair, tokenRequest } from './support/oidc.ts';
import { Client, DEMO_PASSWORD, type TestServer } from './support/server.ts';

const SCOPE = 'openid email offline_access api';

/**
 * The desktop app's side of RFC 8252 §7.3: an HTTP listener on 127.0.0.1, port chosen by the OS,
 * that records every request to /callback and answers a page telling the person to go back to the
 * app. Nothing else is served.
 */
class LoopbackListener {
  readonly callbacks: URL[] = [];
  readonly #server: Server;
  readonly #waiters: Array<(url: URL) => void> = [];

  private constructor(server: Server) {
    this.#server = server;
    server.on('request', (request, response) => {
      const url = new URL(request.url ?? '/', this.origin);
      if (request.method !== 'GET' || url.pathname !== '/callback') {
        response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
        return;
      }
      this.callbacks.push(url);
      for (const resolve of this.#waiters.splice(0)) resolve(url);
      response
        .writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
        .end('<!doctype html><title>authlab desktop</title><h1 id="done">You can close this tab</h1>');
    });
  }

  static async start(): Promise<LoopbackListener> {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return new LoopbackListener(server);
  }

  get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get redirectUri(): string {
    return `${this.origin}/callback`;
  }

  /** The next callback request (or one already received). */
  nextCallback(): Promise<URL> {
    const received = this.callbacks.at(-1);
    if (received) return Promise.resolve(received);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

/** What the desktop app builds before it opens the system browser, and keeps to itself. */
function authorizationRequest(server: TestServer, redirectUri: string) {
  const pkce = pkcePair();
  const state = randomBytes(16).toString('base64url');
  const nonce = randomBytes(16).toString('base64url');
  const url = new URL(`${server.url}/oidc/auth`);
  url.search = new URLSearchParams({
    client_id: DESKTOP,
    response_type: 'code',
    redirect_uri: redirectUri,
    scope: SCOPE,
    state,
    nonce,
    code_challenge: pkce.challenge,
    code_challenge_method: 'S256',
    // OpenID Connect Core §11: offline_access is granted only after explicit consent.
    prompt: 'consent',
  }).toString();
  return { url: url.href, state, nonce, verifier: pkce.verifier };
}

describe('the native-client login in a real Chromium, ending at a loopback listener', () => {
  const suite = useServerAndBrowser();
  let aliceId: string;

  before(async () => {
    const alice = await suite.server.deps.store.users.findByEmail('alice@example.com');
    assert.ok(alice, 'alice is seeded');
    aliceId = alice.id;
  });

  /** Problems on our pages only: the listener's page belongs to the test (the desktop app), not to authlab. */
  const assertNoProblemsOnOurPages = (page: Page, listener: LoopbackListener, expected: RegExp[] = []) =>
    assert.deepEqual(
      suite.browser
        .problems(page)
        .filter((problem) => !problem.includes(` at ${listener.origin}/`))
        .filter((problem) => !expected.some((pattern) => pattern.test(problem))),
      [],
    );

  async function signIn(page: Page, password = DEMO_PASSWORD): Promise<void> {
    await page.getByLabel('Email').fill('alice@example.com');
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  it('signs alice in, asks her consent, and hands code, state and iss to the loopback listener; the code redeems for tokens the API accepts as oidc', async (t) => {
    if (!needsChromium(t)) return;
    const listener = await LoopbackListener.start();
    t.after(() => listener.close());
    const request = authorizationRequest(suite.server, listener.redirectUri);
    const page = await suite.browser.newPage();

    await page.goto(request.url);
    await page.waitForURL(/\/oidc\/interaction\//);
    assert.equal(await page.locator('#oidc-client').textContent(), 'authlab desktop', 'the login page names the app');
    await signIn(page);

    await page.locator('#allow').waitFor();
    assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Allow authlab desktop?');
    assert.equal(await page.locator('#oidc-client').textContent(), 'authlab desktop');
    const listed = await page
      .locator('#consent-scopes li')
      .evaluateAll((items) => items.map((item) => (item as unknown as { dataset: { scope: string } }).dataset.scope));
    assert.deepEqual(listed.sort(), ['api', 'email', 'offline_access', 'openid']);
    assert.match((await page.locator('#consent-scopes').textContent()) ?? '', /See your email address/);
    assert.match(
      (await page.locator('main').textContent()) ?? '',
      new RegExp(`${suite.server.url}/api`),
      'the API is named',
    );
    assert.match((await page.locator('main').textContent()) ?? '', /app on your computer/, 'native apps get a warning');

    // The consent form's redirect goes to another origin (the listener's port): the interaction
    // pages drop `form-action` from their CSP so that Chromium follows it; the rest stays.
    const consentCsp = (await page.request.get(page.url())).headers()['content-security-policy'] ?? '';
    assert.match(consentCsp, /script-src 'self'/);
    assert.match(consentCsp, /frame-ancestors 'none'/);
    assert.doesNotMatch(consentCsp, /form-action/);
    await page.locator('#allow').click();
    const callback = await listener.nextCallback();
    await page.locator('#done').waitFor();
    assert.equal(new URL(page.url()).origin, listener.origin, 'the browser ended on the listener');

    assert.equal(callback.pathname, '/callback');
    assert.equal(callback.searchParams.get('state'), request.state);
    assert.equal(callback.searchParams.get('iss'), `${suite.server.url}/oidc`, 'RFC 9207: the issuer names itself');
    assert.equal(callback.searchParams.get('error'), null);
    const code = callback.searchParams.get('code') ?? '';
    assert.ok(code.length >= 32, 'an authorization code');
    assert.equal(listener.callbacks.length, 1);

    const app = new Client(suite.server.url);
    const tokens = await tokenRequest(app, {
      grant_type: 'authorization_code',
      code,
      redirect_uri: listener.redirectUri,
      code_verifier: request.verifier,
    });
    assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
    assert.equal(tokens.body.token_type, 'Bearer');
    assert.ok(tokens.body.refresh_token, 'offline_access, consented, gives a refresh token');

    // The ID token: signed by the provider's published keys, for this app, bound to our nonce.
    const discovery = await app.json('/oidc/.well-known/openid-configuration');
    const jwks = createRemoteJWKSet(new URL(discovery.body.jwks_uri));
    const { payload, protectedHeader } = await jwtVerify(tokens.body.id_token, jwks, {
      issuer: `${suite.server.url}/oidc`,
      audience: DESKTOP,
      algorithms: ['EdDSA'],
    });
    assert.equal(protectedHeader.alg, 'EdDSA');
    assert.equal(payload.nonce, request.nonce);
    assert.equal(payload.sub, aliceId);
    assert.equal(payload.email, 'alice@example.com');

    const me = await app.json('/api/me', { headers: { authorization: `Bearer ${tokens.body.access_token}` } });
    assert.equal(me.status, 200, JSON.stringify(me.body));
    assert.deepEqual(me.body, { sub: aliceId, email: 'alice@example.com', role: 'user', mode: 'oidc' });
    assertNoProblemsOnOurPages(page, listener);
  });

  it('sends error=access_denied to the listener when alice denies on the consent page', async (t) => {
    if (!needsChromium(t)) return;
    const listener = await LoopbackListener.start();
    t.after(() => listener.close());
    const request = authorizationRequest(suite.server, listener.redirectUri);
    const page = await suite.browser.newPage();

    await page.goto(request.url);
    await signIn(page);
    await page.locator('#deny').click();
    const callback = await listener.nextCallback();
    await page.locator('#done').waitFor();

    assert.equal(callback.searchParams.get('error'), 'access_denied');
    assert.equal(callback.searchParams.get('state'), request.state);
    assert.equal(callback.searchParams.get('iss'), `${suite.server.url}/oidc`);
    assert.equal(callback.searchParams.get('code'), null, 'no code when consent is refused');
    assertNoProblemsOnOurPages(page, listener);
  });

  it('shows our error on the login page for a wrong password and redirects nowhere', async (t) => {
    if (!needsChromium(t)) return;
    const listener = await LoopbackListener.start();
    t.after(() => listener.close());
    const request = authorizationRequest(suite.server, listener.redirectUri);
    const page = await suite.browser.newPage();

    await page.goto(request.url);
    await page.waitForURL(/\/oidc\/interaction\//);
    const answered = page.waitForResponse((response) => /\/oidc\/interaction\/[^/]+\/login$/.test(response.url()));
    await signIn(page, 'not-her-password');
    assert.equal((await answered).status(), 401);

    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.equal(
      await alert.textContent(),
      'That email and password do not match. Check both and try again.',
      'the generic message: it does not say which of the two was wrong',
    );
    assert.equal(new URL(page.url()).origin, suite.server.url, 'still on the provider');
    assert.match(new URL(page.url()).pathname, /^\/oidc\/interaction\/[^/]+\/login$/);
    assert.ok(await page.getByLabel('Password').isVisible(), 'the form is there to try again');
    assert.equal(await page.locator('#allow').count(), 0, 'no consent without a sign-in');
    assert.deepEqual(listener.callbacks, [], 'the app received nothing');
    // Chromium logs every 4xx document as a console error; this 401 is the one the test provoked.
    assertNoProblemsOnOurPages(page, listener, [
      /\/login: Failed to load resource: the server responded with a status of 401 \(Unauthorized\)$/,
    ]);
  });

  it("needs that CSP exception: with form-action 'self' put back on the consent page, Chromium blocks the form and the app gets nothing", async (t) => {
    if (!needsChromium(t)) return;
    const listener = await LoopbackListener.start();
    t.after(() => listener.close());
    const request = authorizationRequest(suite.server, listener.redirectUri);
    const page = await suite.browser.newPage();

    await page.goto(request.url);
    await signIn(page);
    await page.locator('#allow').waitFor();
    // Playwright routes see no redirect hops, so the consent page is loaded again, through the route.
    await page.route(/\/oidc\/interaction\/[^/]+$/, async (route) => {
      const response = await route.fetch();
      const csp = response.headers()['content-security-policy'] ?? '';
      await route.fulfill({
        response,
        headers: { ...response.headers(), 'content-security-policy': `${csp};form-action 'self'` },
      });
    });
    await page.reload();
    await page.locator('#allow').waitFor();
    const consentUrl = page.url();

    const refused = page.waitForEvent('console', (message) => message.text().includes(`"form-action 'self'"`));
    await page.locator('#allow').click();
    // Chromium checks every hop of a form's redirect chain against form-action, and names the
    // form's own (same-origin) action in the report rather than the cross-origin hop.
    assert.match((await refused).text(), /\/confirm' violates the following Content Security Policy directive/);
    assert.equal(page.url(), consentUrl, 'the browser stayed on the consent page');
    assert.deepEqual(listener.callbacks, [], 'the app never got its code');
  });
});
