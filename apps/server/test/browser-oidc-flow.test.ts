import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { needsChromium, useServerAndBrowser } from './support/browser.ts';
import { DEMO_PASSWORD } from './support/server.ts';

const FLOW_COOKIE = '__Secure-authlab.oidc-walkthrough';
const PLAYGROUND = 'authlab-playground';

/** Chromium logs every 4xx document as a console error; a test that provokes one expects it. */
const expectedRejection = (problem: string, status: number) =>
  problem.includes(`Failed to load resource: the server responded with a status of ${status}`);

describe('the OIDC walkthrough at /oidc-flow in a real Chromium', () => {
  const suite = useServerAndBrowser();
  let aliceId: string;

  before(async () => {
    const alice = await suite.server.deps.store.users.findByEmail('alice@example.com');
    assert.ok(alice, 'alice is seeded');
    aliceId = alice.id;
  });

  const url = (path: string) => new URL(path, suite.server.url).href;
  const issuer = () => `${suite.server.url}/oidc`;
  const text = async (page: Page, selector: string) => ((await page.locator(selector).textContent()) ?? '').trim();
  const assertNoProblems = (page: Page, ...expectedStatuses: number[]) =>
    assert.deepEqual(
      suite.browser
        .problems(page)
        .filter((problem) => !expectedStatuses.some((status) => expectedRejection(problem, status))),
      [],
    );

  /** Requests the server logged at its token endpoint (one structured line per request). */
  const tokenEndpointCalls = () =>
    suite.server
      .logs()
      .split('\n')
      .filter((line) => line.includes('"path":"/oidc/token"')).length;

  /** Step 1's values as the page shows them. */
  async function startValues(page: Page) {
    return {
      verifier: await text(page, '#flow-verifier'),
      challenge: await text(page, '#flow-challenge'),
      state: await text(page, '#flow-state'),
      nonce: await text(page, '#flow-nonce'),
      authorizationUrl: new URL(await text(page, '#flow-authorization-url')),
    };
  }

  /** From the start page through the provider's login, up to its consent page. */
  async function startAndSignIn(page: Page) {
    await page.goto(url('/oidc-flow'));
    const values = await startValues(page);
    await page.getByRole('link', { name: 'Start: go to the provider' }).click();
    await page.waitForURL(/\/oidc\/interaction\//);
    await page.getByLabel('Email').fill('alice@example.com');
    await page.getByLabel('Password').fill(DEMO_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#allow').waitFor();
    return values;
  }

  it('links the OIDC card on the home page to the walkthrough and to the discovery document', async (t) => {
    if (!needsChromium(t)) return;
    const page = await suite.browser.newPage();
    await page.goto(url('/'));
    const card = page.locator('#mode-oidc');
    assert.equal(await card.getByText('Coming with the next milestone').count(), 0);
    assert.equal(
      await card.getByRole('link', { name: 'Discovery document' }).getAttribute('href'),
      '/oidc/.well-known/openid-configuration',
    );
    await card.getByRole('link', { name: 'Walk through the flow' }).click();
    await page.waitForURL(url('/oidc-flow'));
    assert.equal(await text(page, 'h1'), 'OpenID Connect, step by step');
    assertNoProblems(page);
  });

  it('shows a fresh verifier, its S256 challenge, state, nonce and the authorization URL built from them, explained', async (t) => {
    if (!needsChromium(t)) return;
    const page = await suite.browser.newPage();
    await page.goto(url('/oidc-flow'));
    const values = await startValues(page);

    assert.match(values.verifier, /^[\w-]{43}$/, '32 random bytes in base64url');
    assert.equal(values.challenge, createHash('sha256').update(values.verifier).digest('base64url'));
    assert.match(values.state, /^[\w-]{43}$/);
    assert.match(values.nonce, /^[\w-]{43}$/);
    assert.match(await text(page, '#flow-s256-heading + p'), /BASE64URL\(SHA-256\(ASCII\(code_verifier\)\)\)/);

    const authorization = values.authorizationUrl;
    assert.equal(`${authorization.origin}${authorization.pathname}`, `${issuer()}/auth`);
    const sent = Object.fromEntries(authorization.searchParams);
    assert.deepEqual(sent, {
      client_id: PLAYGROUND,
      redirect_uri: url('/oidc-flow/callback'),
      response_type: 'code',
      scope: 'openid email api',
      code_challenge: values.challenge,
      code_challenge_method: 'S256',
      state: values.state,
      nonce: values.nonce,
    });
    assert.equal(authorization.searchParams.has('code_verifier'), false, 'the verifier never goes through the browser');
    for (const name of Object.keys(sent)) {
      const why = await text(page, `#flow-params tr[data-param="${name}"] td:last-child`);
      assert.ok(why.length > 20, `parameter ${name} is explained`);
    }
    assert.equal(
      await page.getByRole('link', { name: 'Start: go to the provider' }).getAttribute('href'),
      authorization.href,
    );

    // The secrets of the flow stay on the server's side of the browser.
    const cookie = (await page.context().cookies()).find((c) => c.name === FLOW_COOKIE);
    assert.ok(cookie, `the browser holds ${FLOW_COOKIE}`);
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Lax');
    assert.equal(cookie.path, '/oidc-flow');
    assert.equal(cookie.secure, true);
    assert.ok(cookie.expires > 0, 'short-lived, not a session cookie');
    assert.ok(
      (await page.context().cookies()).some((c) => c.name === `${FLOW_COOKIE}.sig`),
      'and signed',
    );

    await page.reload();
    assert.notEqual(await text(page, '#flow-verifier'), values.verifier, 'every visit makes new values');
    assertNoProblems(page);
  });

  it('runs the whole flow: login, consent, callback with matched state and iss, decoded ID token, /api/me as oidc', async (t) => {
    if (!needsChromium(t)) return;
    const page = await suite.browser.newPage();
    const values = await startAndSignIn(page);
    assert.equal(await text(page, '#oidc-client'), 'authlab walkthrough', 'consent names the client');
    const scopes = await page
      .locator('#consent-scopes li')
      .evaluateAll((items) => items.map((item) => (item as unknown as { dataset: { scope: string } }).dataset.scope));
    assert.deepEqual(scopes.sort(), ['api', 'email', 'openid']);
    await page.locator('#allow').click();
    await page.waitForURL((target) => target.pathname === '/oidc-flow/callback');

    const callback = new URL(page.url());
    assert.equal(await text(page, '#flow-code'), callback.searchParams.get('code'));
    assert.equal(await text(page, '#flow-state'), values.state);
    assert.match(await text(page, '#flow-state-check'), /matches the state this browser sent/);
    assert.equal(await text(page, '#flow-iss'), issuer());
    assert.match(await text(page, '#flow-iss-check'), /RFC 9207/);
    assert.equal(await page.locator('#flow-outcome').count(), 0, 'no error to explain');

    // The back channel: the server sent the code with the verifier the page showed at step 1.
    const tokenRequest = Object.fromEntries(
      await page
        .locator('#flow-token-request tr')
        .evaluateAll((rows) =>
          rows.map((row) => [row.querySelector('th')?.textContent, row.querySelector('td')?.textContent]),
        ),
    );
    assert.deepEqual(tokenRequest, {
      grant_type: 'authorization_code',
      code: callback.searchParams.get('code'),
      redirect_uri: url('/oidc-flow/callback'),
      code_verifier: values.verifier,
      client_id: PLAYGROUND,
    });
    const response = JSON.parse(await text(page, '#flow-token-response'));
    assert.equal(response.token_type, 'Bearer');
    assert.equal(response.refresh_token, undefined, 'this client holds no refresh tokens');

    const idHeader = JSON.parse(await text(page, '#flow-id-header'));
    const idClaims = JSON.parse(await text(page, '#flow-id-claims'));
    assert.equal(idHeader.alg, 'RS256', 'the walkthrough client registers no algorithm: the default');
    assert.equal(idClaims.email, 'alice@example.com');
    assert.equal(idClaims.sub, aliceId);
    assert.equal(idClaims.aud, PLAYGROUND);
    assert.equal(idClaims.iss, issuer());
    assert.equal(idClaims.nonce, values.nonce);
    assert.equal(await text(page, '#flow-id-email'), 'alice@example.com');
    assert.match(
      await text(page, '#flow-id-exp'),
      new RegExp(`^${idClaims.exp} → \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC \\(in \\d+ minutes\\)$`),
    );
    assert.match(await text(page, '#flow-id-checks'), /signature \(RS256\) verified/);

    const accessClaims = JSON.parse(await text(page, '#flow-access-claims'));
    assert.equal(JSON.parse(await text(page, '#flow-access-header')).typ, 'at+jwt');
    assert.equal(accessClaims.aud, url('/api'));
    assert.equal(accessClaims.client_id, PLAYGROUND);

    assert.equal(await text(page, '#flow-api-status'), '200');
    assert.deepEqual(JSON.parse(await text(page, '#flow-api-body')), {
      sub: aliceId,
      email: 'alice@example.com',
      role: 'user',
      mode: 'oidc',
    });
    assert.equal(
      (await page.context().cookies()).find((c) => c.name === FLOW_COOKIE),
      undefined,
      'the flow is over: its cookie is gone',
    );
    assertNoProblems(page);
  });

  it('explains access_denied after Deny and exchanges nothing', async (t) => {
    if (!needsChromium(t)) return;
    const page = await suite.browser.newPage();
    const values = await startAndSignIn(page);
    await page.locator('#deny').click();
    await page.waitForURL((target) => target.pathname === '/oidc-flow/callback');

    assert.equal(await page.locator('#flow-outcome').getAttribute('data-outcome'), 'provider-error');
    assert.match(await text(page, '#flow-outcome'), /You chose Deny.*error=access_denied and no code/s);
    assert.equal(await text(page, '#flow-error'), 'access_denied');
    assert.equal(await text(page, '#flow-state'), values.state);
    assert.match(await text(page, '#flow-state-check'), /matches/);
    assert.equal(await page.locator('#flow-code').count(), 0);
    assert.equal(await page.locator('#flow-requests').count(), 0, 'no request to the token endpoint or the API');
    assert.equal(await page.getByRole('link', { name: 'Start again' }).getAttribute('href'), '/oidc-flow');
    assertNoProblems(page);
  });

  it('refuses a callback whose state was tampered with, explains why, and leaves the code unredeemed', async (t) => {
    if (!needsChromium(t)) return;
    const page = await suite.browser.newPage();
    const values = await startAndSignIn(page);

    // Run the consent form's redirect chain beside the browser, and hand it the real callback URL
    // with another state: what an attacker delivering their own authorization response does.
    let genuine: URL | undefined;
    await page.route(/\/oidc\/interaction\/[^/]+\/confirm$/, async (route) => {
      const confirmed = await route.fetch({ maxRedirects: 0 });
      const resumed = await page.request.get(new URL(confirmed.headers().location ?? '', suite.server.url).href, {
        maxRedirects: 0,
      });
      genuine = new URL(resumed.headers().location ?? '');
      const tampered = new URL(genuine);
      tampered.searchParams.set('state', `${values.state.slice(0, -4)}AAAA`);
      await route.fulfill({ status: 303, headers: { location: tampered.href } });
    });
    const tokenCallsBefore = tokenEndpointCalls();
    await page.locator('#allow').click();
    await page.waitForURL((target) => target.pathname === '/oidc-flow/callback');
    assert.ok(genuine, 'the provider answered with a callback');
    assert.equal(genuine.searchParams.get('state'), values.state);

    assert.equal(await page.locator('#flow-outcome').getAttribute('data-outcome'), 'state-mismatch');
    assert.match(await text(page, '#flow-outcome'), /not the one this browser sent.*did not exchange the code/s);
    assert.match(await text(page, '#flow-state-check'), /does not match/);
    assert.equal(await text(page, '#flow-expected-state'), values.state);
    assert.equal(await page.locator('#flow-requests').count(), 0, 'no token request, no API call');
    assert.equal(await page.locator('#flow-id-claims').count(), 0);
    assert.equal(tokenEndpointCalls(), tokenCallsBefore, 'the server log shows no token request');

    // Proof that nothing was redeemed: codes are single use, and the genuine response still works.
    await page.goto(genuine.href);
    assert.equal(await page.locator('#flow-outcome').count(), 0);
    assert.equal(JSON.parse(await text(page, '#flow-api-body')).mode, 'oidc');
    assert.equal(tokenEndpointCalls(), tokenCallsBefore + 1);
    assertNoProblems(page, 400);
  });

  it('refuses a response whose iss names another issuer (RFC 9207 mix-up defence), and exchanges nothing', async (t) => {
    if (!needsChromium(t)) return;
    const page = await suite.browser.newPage();
    await page.goto(url('/oidc-flow'));
    const { state } = await startValues(page);
    const callback = new URL(url('/oidc-flow/callback'));
    callback.search = new URLSearchParams({ code: 'a'.repeat(43), state, iss: 'https://idp.example.net' }).toString();
    const tokenCallsBefore = tokenEndpointCalls();
    const answer = await page.goto(callback.href);
    assert.equal(answer?.status(), 400);
    assert.equal(await page.locator('#flow-outcome').getAttribute('data-outcome'), 'issuer-mismatch');
    assert.match(await text(page, '#flow-outcome'), /mix-up attack/);
    assert.match(await text(page, '#flow-state-check'), /matches/);
    assert.match(await text(page, '#flow-iss-check'), new RegExp(`expected ${issuer()}`));
    assert.equal(await page.locator('#flow-requests').count(), 0);
    assert.equal(tokenEndpointCalls(), tokenCallsBefore);
    assertNoProblems(page, 400);
  });

  it('refuses a state as long as the real one in characters but not in bytes, as a mismatch (not a 500)', async (t) => {
    if (!needsChromium(t)) return;
    const page = await suite.browser.newPage();
    await page.goto(url('/oidc-flow'));
    const { state } = await startValues(page);
    const callback = new URL(url('/oidc-flow/callback'));
    callback.search = new URLSearchParams({
      code: 'a'.repeat(43),
      state: `é${state.slice(1)}`,
      iss: issuer(),
    }).toString();
    const tokenCallsBefore = tokenEndpointCalls();
    const answer = await page.goto(callback.href);
    assert.equal(answer?.status(), 400);
    assert.equal(await page.locator('#flow-outcome').getAttribute('data-outcome'), 'state-mismatch');
    assert.equal(tokenEndpointCalls(), tokenCallsBefore);
    assertNoProblems(page, 400);
  });

  it('finds no flow for a callback in a browser that never started one, and exchanges nothing', async (t) => {
    if (!needsChromium(t)) return;
    const page = await suite.browser.newPage();
    const callback = new URL(url('/oidc-flow/callback'));
    callback.search = new URLSearchParams({ code: 'a'.repeat(43), state: 'b'.repeat(43), iss: issuer() }).toString();
    const answer = await page.goto(callback.href);
    assert.equal(answer?.status(), 400);
    assert.equal(await page.locator('#flow-outcome').getAttribute('data-outcome'), 'no-flow');
    assert.match(await text(page, '#flow-state-check'), /no flow in progress/);
    assert.equal(await page.locator('#flow-requests').count(), 0);
    assertNoProblems(page, 400);
  });
});
