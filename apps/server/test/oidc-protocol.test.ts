import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { nonCanonicalSpellings } from './support/jwt-forge.ts';
import { authorize, DESKTOP, pkcePair, tokenRequest } from './support/oidc.ts';
import { Client, manualClock, startTestServer, type TestServer } from './support/server.ts';

/** The protocol's edges at the OpenID Provider: every refusal pinned to its exact OAuth error code. */

const LOOPBACK = 'http://127.0.0.1:53682/callback';
const WEB = 'authlab-web';
const SIGNED_OUT = 'http://127.0.0.1/signed-out';

type Authorization = Awaited<ReturnType<typeof authorize>>;
type Form = Record<string, string | undefined>;

const defined = (form: Form): Record<string, string> =>
  Object.fromEntries(Object.entries(form).filter((entry): entry is [string, string] => entry[1] !== undefined));

function codeOf(result: Authorization): string {
  assert.ok(result.url, `expected a redirect to the client, got ${result.status} ${result.body}`);
  const code = result.params?.get('code');
  assert.ok(code, `no code in ${result.url}`);
  return code;
}

/** Token request for a code from `authorize`; an `undefined` override drops that parameter. */
function redeem(app: Client, result: Authorization, overrides: Form = {}) {
  return tokenRequest(
    app,
    defined({
      grant_type: 'authorization_code',
      code: codeOf(result),
      redirect_uri: result.redirectUri,
      code_verifier: result.verifier,
      ...overrides,
    }),
  );
}

const refresh = (app: Client, refreshToken: string) =>
  tokenRequest(app, { grant_type: 'refresh_token', refresh_token: refreshToken });

async function apiStatus(app: Client, accessToken: string): Promise<number> {
  return (await app.json('/api/me', { headers: { authorization: `Bearer ${accessToken}` } })).status;
}

/** A fresh browser signs alice in; the app redeems the code. */
async function signIn(server: TestServer, options: Parameters<typeof authorize>[1] = {}) {
  const browser = new Client(server.url);
  const app = new Client(server.url);
  const result = await authorize(browser, options);
  const tokens = await redeem(app, result);
  assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
  return { browser, app, tokens: tokens.body };
}

/** A bare authorization request (no login driven); an `undefined` override drops that parameter. */
function authorizationRequest(browser: Client, overrides: Form = {}) {
  const params = defined({
    client_id: DESKTOP,
    response_type: 'code',
    redirect_uri: LOOPBACK,
    scope: 'openid',
    state: 'state-1',
    code_challenge: pkcePair().challenge,
    code_challenge_method: 'S256',
    ...overrides,
  });
  return browser.request(`/oidc/auth?${new URLSearchParams(params)}`, { headers: { accept: 'text/html' } });
}

/** The provider's own HTML error page: no redirect anywhere, the code shown on the page. */
async function assertErrorPage(response: Response, code: string) {
  const body = await response.text();
  assert.equal(response.status, 400, body);
  assert.equal(response.headers.get('location'), null, 'an error page, not a redirect');
  assert.match(response.headers.get('content-type') ?? '', /^text\/html/);
  assert.ok(body.includes(`id="oidc-error-code">${code}</code>`), `expected ${code} on the page: ${body}`);
}

/** An error sent back to the (valid) redirect URI, in the query or, for implicit types, the fragment. */
function assertRedirectedError(server: TestServer, response: Response, redirectUri: string, code: string) {
  assert.ok(response.status >= 300 && response.status < 400, `expected a redirect, got ${response.status}`);
  const location = response.headers.get('location') ?? '';
  assert.ok(location.startsWith(redirectUri), `redirected to ${location}`);
  const url = new URL(location);
  const params = new URLSearchParams(url.search || url.hash.slice(1));
  assert.equal(params.get('error'), code, location);
  assert.equal(params.get('state'), 'state-1');
  assert.equal(params.get('iss'), `${server.url}/oidc`);
  for (const issued of ['code', 'access_token', 'id_token']) assert.equal(params.get(issued), null, issued);
}

describe('OIDC protocol edges (SQLite)', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.stop());

  it('advertises only the code flow, S256, RS256 and EdDSA ID tokens and the RFC 9207 iss parameter', async () => {
    const { status, body } = await new Client(server.url).json('/oidc/.well-known/openid-configuration');
    assert.equal(status, 200);
    assert.deepEqual(body.response_types_supported, ['code']);
    assert.deepEqual(body.code_challenge_methods_supported, ['S256']);
    assert.deepEqual([...body.grant_types_supported].sort(), ['authorization_code', 'refresh_token']);
    assert.ok(!body.grant_types_supported.includes('implicit') && !body.grant_types_supported.includes('password'));
    assert.equal(body.authorization_response_iss_parameter_supported, true);
    assert.deepEqual([...body.id_token_signing_alg_values_supported].sort(), ['EdDSA', 'RS256']);
  });

  it('advertises only what the registered clients use: their auth methods, query responses, no PAR, DPoP or request objects', async () => {
    const { body } = await new Client(server.url).json('/oidc/.well-known/openid-configuration');
    // authlab-desktop and authlab-playground: `none`; authlab-web: `client_secret_basic`.
    assert.deepEqual([...body.token_endpoint_auth_methods_supported].sort(), ['client_secret_basic', 'none']);
    assert.equal(body.token_endpoint_auth_signing_alg_values_supported, undefined, 'no JWT client assertions');
    // form_post cannot reach a loopback client under our CSP (form-action 'self'), so it is not offered.
    assert.deepEqual(body.response_modes_supported, ['query']);
    assert.equal(body.pushed_authorization_request_endpoint, undefined);
    assert.equal(body.dpop_signing_alg_values_supported, undefined);
    assert.notEqual(body.request_parameter_supported, true);
    assert.equal(body.request_uri_parameter_supported, false);
    assert.equal(body.claims_parameter_supported, false);
    for (const absent of ['registration_endpoint', 'introspection_endpoint', 'device_authorization_endpoint']) {
      assert.equal(body[absent], undefined, absent);
    }
  });

  describe('PKCE (RFC 7636, required for every request)', () => {
    it('sends invalid_request back to the valid redirect URI when code_challenge is missing', async () => {
      const response = await authorizationRequest(new Client(server.url), {
        code_challenge: undefined,
        code_challenge_method: undefined,
      });
      assertRedirectedError(server, response, LOOPBACK, 'invalid_request');
    });

    it('sends invalid_request back for code_challenge_method=plain', async () => {
      const response = await authorizationRequest(new Client(server.url), { code_challenge_method: 'plain' });
      assertRedirectedError(server, response, LOOPBACK, 'invalid_request');
    });

    for (const length of [42, 129]) {
      it(`answers invalid_request to a ${length}-character code_verifier (§4.1: 43 to 128)`, async () => {
        const result = await authorize(new Client(server.url));
        const response = await redeem(new Client(server.url), result, { code_verifier: 'a'.repeat(length) });
        assert.equal(response.status, 400);
        assert.equal(response.body.error, 'invalid_request');
        assert.equal(response.body.access_token, undefined);
      });
    }

    it('answers invalid_grant to a well-formed verifier that does not match the challenge', async () => {
      const result = await authorize(new Client(server.url));
      const response = await redeem(new Client(server.url), result, { code_verifier: pkcePair().verifier });
      assert.equal(response.status, 400);
      assert.equal(response.body.error, 'invalid_grant');
      assert.equal(response.body.access_token, undefined);
    });

    it('answers invalid_grant to a code issued with a challenge but redeemed without a verifier', async () => {
      const result = await authorize(new Client(server.url));
      const response = await redeem(new Client(server.url), result, { code_verifier: undefined });
      assert.equal(response.status, 400);
      assert.equal(response.body.error, 'invalid_grant');
      assert.equal(response.body.access_token, undefined);
    });
  });

  describe('redirect URIs of the native client (RFC 8252 §7.3, §8.3)', () => {
    const refused: Record<string, string> = {
      'another host': 'http://evil.example/callback',
      'another path': 'http://127.0.0.1:53682/cb',
      'a trailing slash': 'http://127.0.0.1:53682/callback/',
      https: 'https://127.0.0.1/callback',
      localhost: 'http://localhost:53682/callback',
      userinfo: 'http://user@127.0.0.1/callback',
      'userinfo and a port': 'http://user@127.0.0.1:53682/callback',
      'an added query': 'http://127.0.0.1:53682/callback?next=evil',
      'a fragment': 'http://127.0.0.1:53682/callback#frag',
    };
    for (const [label, redirectUri] of Object.entries(refused)) {
      it(`refuses ${label} (${redirectUri}) with invalid_redirect_uri on an error page, no redirect`, async () => {
        const response = await authorizationRequest(new Client(server.url), { redirect_uri: redirectUri });
        await assertErrorPage(response, 'invalid_redirect_uri');
      });
    }

    it('accepts any port on 127.0.0.1, end to end', async () => {
      for (const port of [53682, 61001]) {
        const { app, tokens } = await signIn(server, { redirectUri: `http://127.0.0.1:${port}/callback` });
        assert.equal(await apiStatus(app, tokens.access_token), 200, `port ${port}`);
      }
    });

    it('accepts http://[::1]:PORT/callback, end to end', async () => {
      const { app, tokens } = await signIn(server, { redirectUri: 'http://[::1]:53682/callback' });
      assert.equal(await apiStatus(app, tokens.access_token), 200);
    });
  });

  describe('access tokens at the API', () => {
    it('refuses every other spelling of its access token at the API: = padding, unused bits set', async () => {
      const { app, tokens } = await signIn(server);
      const variants = nonCanonicalSpellings(tokens.access_token);
      assert.ok(variants.length >= 4, `only ${variants.length} variants`);
      for (const [what, token] of variants) assert.equal(await apiStatus(app, token), 401, what);
      assert.equal(await apiStatus(app, tokens.access_token), 200);
    });
  });

  describe('authorization codes are single use', () => {
    it('refuses a second redemption with invalid_grant and revokes what the first one issued', async () => {
      const browser = new Client(server.url);
      const app = new Client(server.url);
      const result = await authorize(browser);
      const first = await redeem(app, result);
      assert.equal(first.status, 200, JSON.stringify(first.body));
      assert.equal(await apiStatus(app, first.body.access_token), 200);

      const second = await redeem(app, result);
      assert.equal(second.status, 400);
      assert.equal(second.body.error, 'invalid_grant');
      assert.equal(await apiStatus(app, first.body.access_token), 401, 'the access token died with its grant');
      const refreshed = await refresh(app, first.body.refresh_token);
      assert.equal(refreshed.body.error, 'invalid_grant', 'the refresh token died with its grant');
    });

    it('of 10 concurrent redemptions exactly one wins, the rest get invalid_grant, and the winner is revoked', async () => {
      const result = await authorize(new Client(server.url));
      const responses = await Promise.all(Array.from({ length: 10 }, () => redeem(new Client(server.url), result)));
      const statuses = responses.map((r) => r.status);
      assert.ok(
        statuses.every((status) => status < 500),
        `no server errors: ${statuses}`,
      );
      const winners = responses.filter((r) => r.status === 200);
      assert.equal(winners.length, 1, `statuses: ${statuses}`);
      const losers = responses.filter((r) => r.status !== 200);
      assert.deepEqual(
        losers.map((r) => [r.status, r.body.error]),
        Array.from({ length: 9 }, () => [400, 'invalid_grant']),
      );
      const app = new Client(server.url);
      const winner = winners[0]?.body;
      assert.equal(await apiStatus(app, winner.access_token), 401);
      assert.equal((await refresh(app, winner.refresh_token)).body.error, 'invalid_grant');
    });
  });

  describe('grant and response types', () => {
    it('answers grant_type=password with unsupported_grant_type and issues nothing', async () => {
      const response = await tokenRequest(new Client(server.url), {
        grant_type: 'password',
        username: 'alice@example.com',
        password: 'correct-horse-battery-staple',
        scope: 'openid api',
      });
      assert.equal(response.status, 400);
      assert.equal(response.body.error, 'unsupported_grant_type');
      assert.equal(response.body.access_token, undefined);
      assert.equal(response.body.id_token, undefined);
    });

    for (const responseType of ['token', 'id_token']) {
      it(`sends unsupported_response_type back for response_type=${responseType}`, async () => {
        const response = await authorizationRequest(new Client(server.url), {
          response_type: responseType,
          nonce: 'nonce-1',
        });
        assertRedirectedError(server, response, LOOPBACK, 'unsupported_response_type');
      });
    }
  });

  describe('client authentication: only the methods our clients use (clientAuthMethods)', () => {
    /** A token request for a code that does not exist: client authentication runs first. */
    const asWebClient = (init: { form?: Record<string, string>; headers?: Record<string, string> }) =>
      new Client(server.url).json('/oidc/token', {
        method: 'POST',
        form: {
          grant_type: 'authorization_code',
          code: 'no-such-code',
          redirect_uri: `${server.url}/session/oidc/callback`,
          ...init.form,
        },
        headers: init.headers ?? {},
      });
    const basic = (id: string, secret: string) =>
      `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

    it('authenticates authlab-web with client_secret_basic (then the unknown code is invalid_grant)', async () => {
      const response = await asWebClient({
        headers: { authorization: basic(WEB, server.deps.secrets.oidcWebClientSecret) },
      });
      assert.equal(response.status, 400, JSON.stringify(response.body));
      assert.equal(response.body.error, 'invalid_grant');
    });

    it('refuses authlab-web sending its right secret in the body (client_secret_post) with invalid_client', async () => {
      const response = await asWebClient({
        form: { client_id: WEB, client_secret: server.deps.secrets.oidcWebClientSecret },
      });
      assert.equal(response.status, 401, JSON.stringify(response.body));
      assert.equal(response.body.error, 'invalid_client');
    });

    it('refuses a client_secret_jwt assertion signed with the right secret with invalid_client', async () => {
      const assertion = await new SignJWT({})
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuer(WEB)
        .setSubject(WEB)
        .setAudience(`${server.url}/oidc/token`)
        .setJti(randomUUID())
        .setIssuedAt()
        .setExpirationTime('1m')
        .sign(new TextEncoder().encode(server.deps.secrets.oidcWebClientSecret));
      const response = await asWebClient({
        form: {
          client_id: WEB,
          client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
          client_assertion: assertion,
        },
      });
      assert.equal(response.status, 401, JSON.stringify(response.body));
      assert.equal(response.body.error, 'invalid_client');
    });
  });

  describe('response modes: query only', () => {
    it('refuses response_mode=form_post on its error page: no auto-submitted form, no redirect', async () => {
      const response = await authorizationRequest(new Client(server.url), { response_mode: 'form_post' });
      const body = await response.clone().text();
      await assertErrorPage(response, 'unsupported_response_mode');
      assert.doesNotMatch(body, /<form|<script/);
    });

    it('refuses form_post before any other check, so no error is ever delivered by a form either', async () => {
      const response = await authorizationRequest(new Client(server.url), {
        response_mode: 'form_post',
        code_challenge: undefined,
        code_challenge_method: undefined,
      });
      const body = await response.clone().text();
      await assertErrorPage(response, 'unsupported_response_mode');
      assert.doesNotMatch(body, /<form|<script/);
    });

    for (const mode of ['fragment', 'web_message', 'query.jwt']) {
      it(`refuses response_mode=${mode} on its error page too`, async () => {
        const response = await authorizationRequest(new Client(server.url), { response_mode: mode });
        await assertErrorPage(response, 'unsupported_response_mode');
      });
    }

    it('still starts the login for an explicit response_mode=query', async () => {
      const response = await authorizationRequest(new Client(server.url), { response_mode: 'query' });
      assert.equal(response.status, 303);
      assert.match(response.headers.get('location') ?? '', /^\/oidc\/interaction\//);
    });
  });

  describe('features no client of ours uses are off', () => {
    it('has no pushed authorization request endpoint (RFC 9126): 404', async () => {
      const response = await new Client(server.url).request('/oidc/request', {
        method: 'POST',
        form: {
          client_id: DESKTOP,
          response_type: 'code',
          redirect_uri: LOOPBACK,
          scope: 'openid',
          code_challenge: pkcePair().challenge,
          code_challenge_method: 'S256',
        },
      });
      assert.equal(response.status, 404);
    });

    it('ignores a DPoP proof (the API checks no proof): a plain Bearer token with no cnf binding', async () => {
      const result = await authorize(new Client(server.url));
      const { publicKey, privateKey } = await generateKeyPair('ES256');
      const proof = await new SignJWT({ htm: 'POST', htu: `${server.url}/oidc/token` })
        .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: await exportJWK(publicKey) })
        .setJti(randomUUID())
        .setIssuedAt()
        .sign(privateKey);
      const app = new Client(server.url);
      const tokens = await app.json('/oidc/token', {
        method: 'POST',
        headers: { dpop: proof },
        form: {
          client_id: DESKTOP,
          grant_type: 'authorization_code',
          code: codeOf(result),
          redirect_uri: result.redirectUri,
          code_verifier: result.verifier,
        },
      });
      assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
      assert.equal(tokens.body.token_type, 'Bearer');
      assert.equal(decodeJwt(tokens.body.access_token).cnf, undefined, 'not bound to a key the API never checks');
      assert.equal(await apiStatus(app, tokens.body.access_token), 200);
    });
  });

  describe('refresh tokens', () => {
    it('rotates the refresh token on every use, and the used one then gets invalid_grant', async () => {
      const { app, tokens } = await signIn(server);
      const rotated = await refresh(app, tokens.refresh_token);
      assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
      assert.ok(rotated.body.refresh_token);
      assert.notEqual(rotated.body.refresh_token, tokens.refresh_token);

      const replayed = await refresh(app, tokens.refresh_token);
      assert.equal(replayed.status, 400);
      assert.equal(replayed.body.error, 'invalid_grant');
    });

    it('revokes the grant when a rotated refresh token is replayed: the newest tokens die too', async () => {
      const { app, tokens } = await signIn(server);
      const rotated = await refresh(app, tokens.refresh_token);
      assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
      assert.equal(await apiStatus(app, rotated.body.access_token), 200);

      assert.equal((await refresh(app, tokens.refresh_token)).body.error, 'invalid_grant');
      assert.equal((await refresh(app, rotated.body.refresh_token)).body.error, 'invalid_grant');
      assert.equal(await apiStatus(app, rotated.body.access_token), 401);
    });

    it('issues no refresh token without offline_access', async () => {
      const { app, tokens } = await signIn(server, { scope: 'openid email api' });
      assert.equal(tokens.refresh_token, undefined);
      assert.equal(await apiStatus(app, tokens.access_token), 200);
    });
  });

  describe('revocation endpoint (RFC 7009)', () => {
    const revoke = (app: Client, token: string) =>
      app.json('/oidc/token/revocation', {
        method: 'POST',
        form: { client_id: DESKTOP, token, token_type_hint: 'refresh_token' },
      });

    it('revokes a refresh token (200), after which refreshing fails and its access token is refused', async () => {
      const { app, tokens } = await signIn(server);
      assert.equal(await apiStatus(app, tokens.access_token), 200);
      const revoked = await revoke(app, tokens.refresh_token);
      assert.equal(revoked.status, 200);

      const refreshed = await refresh(app, tokens.refresh_token);
      assert.equal(refreshed.status, 400);
      assert.equal(refreshed.body.error, 'invalid_grant');
      assert.equal(await apiStatus(app, tokens.access_token), 401, 'revoking the refresh token revokes the grant');
    });

    it('answers 200 to an unknown token', async () => {
      const response = await revoke(new Client(server.url), 'not-a-token-this-provider-issued');
      assert.equal(response.status, 200);
    });
  });

  describe('RP-initiated logout (end_session)', () => {
    const endSession = (browser: Client, params: Record<string, string>) =>
      browser.request(`/oidc/session/end?${new URLSearchParams(params)}`, { headers: { accept: 'text/html' } });

    /** The interaction page a new authorization request leads this browser to. */
    async function promptPage(browser: Client): Promise<string> {
      const interaction = (await authorizationRequest(browser)).headers.get('location') ?? '';
      assert.match(interaction, /^\/oidc\/interaction\//);
      return (await browser.request(interaction)).text();
    }

    it('confirms, ends the provider session and returns to the registered post-logout URI', async () => {
      const { browser, tokens } = await signIn(server, { scope: 'openid' });
      // A native client always gets the consent prompt (RFC 8252 §8.6), but no login while signed in.
      const signedIn = await promptPage(browser);
      assert.ok(signedIn.includes('id="allow"') && !signedIn.includes('name="password"'), signedIn);

      const confirm = await endSession(browser, {
        id_token_hint: tokens.id_token,
        post_logout_redirect_uri: SIGNED_OUT,
        state: 'bye',
      });
      const page = await confirm.text();
      assert.equal(confirm.status, 200, page);
      assert.ok(page.includes('id="logout-confirm"'), 'our confirmation button');
      const form = page.match(/<form id="op\.logoutForm" method="post" action="([^"]+)">/);
      const xsrf = page.match(/<input type="hidden" name="xsrf" value="([^"]+)"/);
      assert.ok(form?.[1] && xsrf?.[1], `the provider's xsrf form: ${page}`);

      const done = await browser.request(form[1], {
        method: 'POST',
        form: { xsrf: xsrf[1], logout: 'yes' },
        headers: { origin: server.url },
      });
      const location = new URL(done.headers.get('location') ?? 'about:blank');
      assert.ok(done.status >= 300 && done.status < 400, `status ${done.status}`);
      assert.equal(`${location.origin}${location.pathname}`, SIGNED_OUT);
      assert.equal(location.searchParams.get('state'), 'bye');

      const signedOut = await promptPage(browser);
      assert.ok(signedOut.includes('name="password"'), 'the login form again');
    });

    it('refuses an unregistered post_logout_redirect_uri on an error page, no redirect', async () => {
      const { browser, tokens } = await signIn(server, { scope: 'openid' });
      const response = await endSession(browser, {
        id_token_hint: tokens.id_token,
        post_logout_redirect_uri: 'http://evil.example/signed-out',
      });
      await assertErrorPage(response, 'invalid_request');
    });
  });

  describe('resource indicators (RFC 8707)', () => {
    const api = () => `${server.url}/api`;

    it('sends invalid_target back for a resource other than the API', async () => {
      const response = await authorizationRequest(new Client(server.url), {
        resource: 'https://other.example/api',
        scope: 'openid api',
      });
      assertRedirectedError(server, response, LOOPBACK, 'invalid_target');
    });

    it('answers invalid_target at the token endpoint for a resource other than the API', async () => {
      const result = await authorize(new Client(server.url), { resource: api() });
      const response = await redeem(new Client(server.url), result, { resource: 'https://other.example/api' });
      assert.equal(response.status, 400);
      assert.equal(response.body.error, 'invalid_target');
      assert.equal(response.body.access_token, undefined);
    });

    it('issues an API access token for resource=PUBLIC_URL/api named at both endpoints', async () => {
      const result = await authorize(new Client(server.url), { resource: api() });
      const app = new Client(server.url);
      const tokens = await redeem(app, result, { resource: api() });
      assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
      assert.equal(decodeJwt(tokens.body.access_token).aud, api());
      assert.equal(await apiStatus(app, tokens.body.access_token), 200);
    });

    it('issues a JWT access token for the API when the resource was named only at authorization', async () => {
      const result = await authorize(new Client(server.url), { resource: api() });
      const app = new Client(server.url);
      const tokens = await redeem(app, result);
      assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
      assert.equal(decodeProtectedHeader(tokens.body.access_token).typ, 'at+jwt');
      assert.equal(decodeJwt(tokens.body.access_token).aud, api());
      assert.equal(await apiStatus(app, tokens.body.access_token), 200);
    });
  });
});

describe('OIDC authorization code lifetime (manual clock)', () => {
  const clock = manualClock();
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ clock });
  });
  after(() => server.stop());

  it('redeems a code at 59 s and answers invalid_grant to one older than 60 s', async () => {
    const browser = new Client(server.url);
    const app = new Client(server.url);
    const fresh = await authorize(browser);
    clock.advance(59_000);
    const inTime = await redeem(app, fresh);
    assert.equal(inTime.status, 200, JSON.stringify(inTime.body));

    const stale = await authorize(browser);
    clock.advance(61_000);
    const late = await redeem(app, stale);
    assert.equal(late.status, 400);
    assert.equal(late.body.error, 'invalid_grant');
    assert.equal(late.body.access_token, undefined);
  });
});
