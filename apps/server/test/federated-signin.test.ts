import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../src/config.ts';
import { Client, DEMO_PASSWORD, manualClock, startTestServer, type TestServer } from './support/server.ts';
import { startUpstreamIdp, type UpstreamIdp } from './support/upstream-idp.ts';

const CALLBACK = '/session/oidc/callback';
const FLOW_COOKIE = '__Secure-authlab.oidc-flow';

/**
 * Follows redirects from `/session/oidc/start` the way a browser without JavaScript would: through
 * the built-in provider's login and consent forms (or an upstream provider's redirects) up to our
 * callback, which it returns without requesting it, so a test can tamper with it first.
 */
async function toCallback(
  browser: Client,
  options: { email?: string; consent?: 'allow' | 'deny' } = {},
): Promise<{ url: URL; start: Response }> {
  const start = await browser.request('/session/oidc/start');
  let response = start;
  for (let hop = 0; hop < 12; hop++) {
    const location = response.headers.get('location');
    assert.ok(location, `expected a redirect, got ${response.status} ${await response.text()}`);
    const url = new URL(location, response.url);
    if (url.pathname === CALLBACK) return { url, start };
    if (url.origin === browser.base && url.pathname.startsWith('/oidc/interaction/')) {
      const uid = url.pathname.split('/')[3] ?? '';
      const page = await (await browser.request(url.pathname)).text();
      if (page.includes('name="password"')) {
        response = await browser.request(`/oidc/interaction/${uid}/login`, {
          method: 'POST',
          form: { email: options.email ?? 'alice@example.com', password: DEMO_PASSWORD },
        });
      } else {
        const action = options.consent === 'deny' ? 'abort' : 'confirm';
        response = await browser.request(`/oidc/interaction/${uid}/${action}`, { method: 'POST', form: {} });
      }
      continue;
    }
    response = await browser.request(url.href);
  }
  throw new Error('no redirect to the callback within 12 hops');
}

/** Requests the callback and returns where it sends the browser. */
async function finish(browser: Client, callback: URL): Promise<URL> {
  const response = await browser.request(callback.pathname + callback.search);
  assert.equal(response.status, 303, `callback answered ${response.status} ${await response.text()}`);
  assert.equal(response.headers.get('cache-control'), 'no-store');
  return new URL(response.headers.get('location') ?? '', browser.base);
}

const refusedWith = (landing: URL, code: string) => {
  assert.equal(landing.pathname, '/login');
  assert.equal(landing.searchParams.get('error'), code);
};

/** The public handle of the session the client's cookie belongs to. */
async function currentSessionId(browser: Client): Promise<string | undefined> {
  const { status, body } = await browser.json('/session/sessions');
  if (status !== 200) return undefined;
  return (body.sessions as Array<{ id: string; current: boolean }>).find((s) => s.current)?.id;
}

describe('federated sign-in with the built-in provider', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.stop());

  it('signs alice in through the provider login and consent, into a brand-new session', async () => {
    const browser = new Client(server.url);
    assert.equal((await browser.login()).status, 200);
    const before = { id: await currentSessionId(browser), cookie: browser.cookies.get('__Host-authlab.sid') };
    assert.ok(before.id && before.cookie);

    const { url, start } = await toCallback(browser);
    const landing = await finish(browser, url);
    assert.equal(landing.pathname, '/me');

    const me = await browser.json('/session/me');
    assert.equal(me.status, 200);
    assert.equal(me.body.user.email, 'alice@example.com');
    const afterId = await currentSessionId(browser);
    assert.ok(afterId);
    assert.notEqual(afterId, before.id, 'a new session handle');
    assert.notEqual(browser.cookies.get('__Host-authlab.sid'), before.cookie, 'a new session cookie');
    const old = new Client(server.url);
    old.cookies.set('__Host-authlab.sid', before.cookie);
    assert.equal((await old.json('/session/me')).status, 401, 'the pre-login session is gone');

    // The authorization request: our own confidential client, code + PKCE S256, state and nonce.
    const authorize = new URL(start.headers.get('location') ?? '');
    assert.equal(authorize.origin + authorize.pathname, `${server.url}/oidc/auth`);
    assert.equal(authorize.searchParams.get('client_id'), 'authlab-web');
    assert.equal(authorize.searchParams.get('response_type'), 'code');
    assert.equal(authorize.searchParams.get('redirect_uri'), `${server.url}${CALLBACK}`);
    assert.equal(authorize.searchParams.get('code_challenge_method'), 'S256');
    for (const name of ['code_challenge', 'state', 'nonce']) {
      assert.match(authorize.searchParams.get(name) ?? '', /^[\w-]{43}$/, `${name}: 256 random bits`);
    }
    assert.equal(url.searchParams.get('iss'), `${server.url}/oidc`, 'RFC 9207 iss on the response');
    // The flow cookie was single use.
    assert.equal(browser.cookies.has(FLOW_COOKIE), false);
  });

  it('keeps state, nonce and verifier in a signed, HttpOnly, SameSite=Lax cookie on /session/oidc for ten minutes', async () => {
    const browser = new Client(server.url);
    const start = await browser.request('/session/oidc/start');
    assert.equal(start.status, 303);
    assert.equal(start.headers.get('cache-control'), 'no-store');
    const lines = start.headers.getSetCookie();
    const flow = lines.find((line) => line.startsWith(`${FLOW_COOKIE}=`));
    const signature = lines.find((line) => line.startsWith(`${FLOW_COOKIE}.sig=`));
    assert.ok(flow && signature, lines.join('\n'));
    for (const line of [flow, signature]) {
      const attributes = line.toLowerCase().split(/;\s*/);
      assert.ok(attributes.includes('path=/session/oidc'), line);
      assert.ok(attributes.includes('httponly'), line);
      assert.ok(attributes.includes('samesite=lax'), line);
      assert.ok(attributes.includes('secure'), line);
      const expires = attributes.find((a) => a.startsWith('expires='));
      const lifetime = Date.parse(expires?.slice(8) ?? '') - Date.parse(start.headers.get('date') ?? '');
      assert.ok(lifetime > 9 * 60_000 && lifetime <= 10 * 60_000 + 1000, `lifetime ${lifetime} ms`);
    }
  });

  it('refuses a callback whose state does not match, leaving the pending flow intact for the genuine one', async () => {
    const browser = new Client(server.url);
    const { url } = await toCallback(browser);
    // A cross-site navigation (SameSite=Lax sends the flow cookie along) and a tampered state.
    const crossSite = await browser.request(`${CALLBACK}?state=x`, { headers: { 'sec-fetch-site': 'cross-site' } });
    assert.equal(crossSite.status, 303);
    refusedWith(new URL(crossSite.headers.get('location') ?? '', server.url), 'oidc_state_mismatch');
    assert.deepEqual(crossSite.headers.getSetCookie(), [], 'the pending flow cookie is neither cleared nor replaced');
    const tampered = new URL(url);
    // Another last character, always (replacing it with a fixed one left it unchanged 1 run in 64).
    const state = url.searchParams.get('state') ?? '';
    tampered.searchParams.set('state', `${state.slice(0, -1)}${state.endsWith('A') ? 'B' : 'A'}`);
    refusedWith(await finish(browser, tampered), 'oidc_state_mismatch');
    // As many characters as the real state but more bytes: a refusal, not a 500.
    const wide = new URL(url);
    wide.searchParams.set('state', `é${state.slice(1)}`);
    refusedWith(await finish(browser, wide), 'oidc_state_mismatch');
    assert.equal((await browser.json('/session/me')).status, 401);

    assert.equal((await finish(browser, url)).pathname, '/me', 'the genuine response still signs in');
    assert.equal((await browser.json('/session/me')).body.user.email, 'alice@example.com');
    // Spent by the sign-in: replaying the genuine response finds no pending flow.
    refusedWith(await finish(browser, url), 'oidc_flow_expired');
  });

  it('refuses a callback in a browser that did not start the flow (login CSRF with a foreign code)', async () => {
    const attacker = new Client(server.url);
    const { url } = await toCallback(attacker, { email: 'bob@example.com' });
    const victim = new Client(server.url);
    refusedWith(await finish(victim, url), 'oidc_flow_expired');
    assert.equal((await victim.json('/session/me')).status, 401, 'the victim is not signed in as bob');
  });

  it("refuses a callback whose flow cookie is another browser's, or forged", async () => {
    const attacker = new Client(server.url);
    const { url } = await toCallback(attacker, { email: 'bob@example.com' });
    // The victim started a flow of their own; the attacker's callback does not match it.
    const victim = new Client(server.url);
    await victim.request('/session/oidc/start');
    refusedWith(await finish(victim, url), 'oidc_state_mismatch');
    assert.equal((await victim.json('/session/me')).status, 401);

    // A cookie written by the attacker with the state of their own response: the signature fails.
    const forger = new Client(server.url);
    const { url: other } = await toCallback(forger, { email: 'bob@example.com' });
    const forged = JSON.parse(Buffer.from(forger.cookies.get(FLOW_COOKIE) ?? '', 'base64url').toString('utf8'));
    forged.expiresAt += 3_600_000;
    forger.cookies.set(FLOW_COOKIE, Buffer.from(JSON.stringify(forged)).toString('base64url'));
    refusedWith(await finish(forger, other), 'oidc_flow_expired');
    assert.equal((await forger.json('/session/me')).status, 401);
  });

  it('answers access_denied, with a message on the login page, when the person denies consent', async () => {
    const browser = new Client(server.url);
    const { url } = await toCallback(browser, { consent: 'deny' });
    assert.equal(url.searchParams.get('error'), 'access_denied');
    const landing = await finish(browser, url);
    refusedWith(landing, 'access_denied');
    const page = await (await browser.request(landing.pathname + landing.search)).text();
    assert.match(page, /role="alert"[^>]*>Sign-in was cancelled at the identity provider/);
    assert.equal((await browser.json('/session/me')).status, 401);
  });

  it('refuses a user disabled between signing in at the provider and the callback', async () => {
    const bob = await server.deps.store.users.findByEmail('bob@example.com');
    assert.ok(bob);
    const browser = new Client(server.url);
    const { url } = await toCallback(browser, { email: 'bob@example.com' });
    await server.deps.store.users.setDisabled(bob.id, true);
    try {
      // The provider refuses to redeem a code for an account it no longer finds.
      refusedWith(await finish(browser, url), 'oidc_failed');
      assert.equal((await browser.json('/session/me')).status, 401);
    } finally {
      await server.deps.store.users.setDisabled(bob.id, false);
    }
  });

  it('shows the way in on the login page, and a message for each refusal', async () => {
    const browser = new Client(server.url);
    const page = await (await browser.request('/login')).text();
    assert.match(
      page,
      /<a class="button" id="sign-in-oidc" href="\/session\/oidc\/start">Sign in with OpenID Connect<\/a>/,
    );
    const expired = await (await browser.request('/login?error=oidc_flow_expired')).text();
    assert.match(expired, /role="alert"[^>]*>That sign-in took too long/);
  });

  it('discovers the provider once per process', async () => {
    const browser = new Client(server.url);
    await finish(browser, (await toCallback(browser)).url);
    const discoveries = server
      .logs()
      .split('\n')
      .filter((line) => line.includes('"path":"/oidc/.well-known/openid-configuration"'));
    assert.equal(discoveries.length, 1, 'every sign-in in this suite reused the first discovery');
  });
});

describe('federated sign-in: the flow expires after ten minutes', () => {
  it('refuses a callback once the flow cookie is ten minutes old, on the server clock', async () => {
    const clock = manualClock();
    const server = await startTestServer({ clock });
    try {
      const browser = new Client(server.url);
      const { url } = await toCallback(browser);
      clock.advance(10 * 60_000);
      refusedWith(await finish(browser, url), 'oidc_flow_expired');
      assert.equal((await browser.json('/session/me')).status, 401);
    } finally {
      await server.stop();
    }
  });
});

describe('federated sign-in with an upstream issuer', () => {
  let idp: UpstreamIdp;
  let server: TestServer;
  before(async () => {
    idp = await startUpstreamIdp();
    server = await startTestServer({
      env: {
        OIDC_UPSTREAM_ISSUER: idp.issuer,
        OIDC_UPSTREAM_CLIENT_ID: idp.clientId,
        OIDC_UPSTREAM_CLIENT_SECRET: idp.clientSecret,
      },
    });
    await idp.register(`${server.url}${CALLBACK}`);
  });
  after(async () => {
    await server.stop();
    await idp.close();
  });

  /** A fresh browser (no session at the provider) signing in as `account` there. */
  async function signInUpstream(account: Parameters<UpstreamIdp['signInAs']>[0]) {
    idp.signInAs(account);
    const browser = new Client(server.url);
    const { url, start } = await toCallback(browser);
    assert.equal(new URL(start.headers.get('location') ?? '').origin, idp.issuer);
    return { browser, landing: await finish(browser, url) };
  }

  it('links by verified email at the first sign-in, then by (issuer, subject) whatever the email says', async () => {
    const alice = await server.deps.store.users.findByEmail('alice@example.com');
    assert.ok(alice);
    const first = await signInUpstream({ sub: 'alice-upstream', email: 'Alice@Example.com', email_verified: true });
    assert.equal(first.landing.pathname, '/me');
    assert.equal((await first.browser.json('/session/me')).body.user.email, 'alice@example.com');
    assert.equal(await server.deps.store.identities.find(idp.issuer, 'alice-upstream'), alice.id);
    assert.ok(idp.requests().includes('/me'), 'the email came from UserInfo');

    const again = await signInUpstream({
      sub: 'alice-upstream',
      email: 'alice@elsewhere.example',
      email_verified: false,
    });
    assert.equal(again.landing.pathname, '/me');
    assert.equal((await again.browser.json('/session/me')).body.user.id, alice.id);
  });

  it('refuses an unverified email and creates no account and no link', async () => {
    const users = await server.deps.store.users.count();
    const { browser, landing } = await signInUpstream({
      sub: 'claims-bob',
      email: 'bob@example.com',
      email_verified: false,
    });
    refusedWith(landing, 'oidc_no_account');
    assert.equal((await browser.json('/session/me')).status, 401);
    assert.equal(await server.deps.store.identities.find(idp.issuer, 'claims-bob'), null);
    assert.equal(await server.deps.store.users.count(), users);
  });

  it('refuses a verified email that has no account here: accounts are never created by signing in', async () => {
    const { browser, landing } = await signInUpstream({
      sub: 'stranger',
      email: 'stranger@example.com',
      email_verified: true,
    });
    refusedWith(landing, 'oidc_no_account');
    assert.equal((await browser.json('/session/me')).status, 401);
    assert.equal(await server.deps.store.users.findByEmail('stranger@example.com'), null);
  });

  it('refuses a second identity at the same issuer for an account that is already linked', async () => {
    // An address reassigned at the provider comes back with a new subject: it must not inherit the account.
    const first = await signInUpstream({ sub: 'bob-upstream', email: 'bob@example.com', email_verified: true });
    assert.equal(first.landing.pathname, '/me');
    const { browser, landing } = await signInUpstream({
      sub: 'new-holder',
      email: 'bob@example.com',
      email_verified: true,
    });
    refusedWith(landing, 'oidc_link_conflict');
    assert.equal((await browser.json('/session/me')).status, 401);
    assert.equal(await server.deps.store.identities.find(idp.issuer, 'new-holder'), null);
  });

  it('refuses a linked identity whose account is disabled', async () => {
    const admin = await server.deps.store.users.findByEmail('admin@example.com');
    assert.ok(admin);
    const linked = await signInUpstream({ sub: 'admin-upstream', email: 'admin@example.com', email_verified: true });
    assert.equal(linked.landing.pathname, '/me');
    await server.deps.store.users.setDisabled(admin.id, true);
    try {
      const { browser, landing } = await signInUpstream({ sub: 'admin-upstream' });
      refusedWith(landing, 'account_disabled');
      assert.equal((await browser.json('/session/me')).status, 401);
      assert.equal((await linked.browser.json('/session/me')).status, 401, 'the earlier session ends too');
    } finally {
      await server.deps.store.users.setDisabled(admin.id, false);
    }
  });

  it('answers access_denied when the person declines at the provider', async () => {
    idp.decline();
    const browser = new Client(server.url);
    const { url } = await toCallback(browser);
    refusedWith(await finish(browser, url), 'access_denied');
  });
});

describe('federated sign-in with an upstream that puts the email in the ID token', () => {
  it('links by the verified email of the ID token', async () => {
    const idp = await startUpstreamIdp({ emailInIdToken: true });
    const server = await startTestServer({
      env: {
        OIDC_UPSTREAM_ISSUER: idp.issuer,
        OIDC_UPSTREAM_CLIENT_ID: idp.clientId,
        OIDC_UPSTREAM_CLIENT_SECRET: idp.clientSecret,
      },
    });
    try {
      await idp.register(`${server.url}${CALLBACK}`);
      idp.signInAs({ sub: 'bob-google', email: 'bob@example.com', email_verified: true });
      const browser = new Client(server.url);
      assert.equal((await finish(browser, (await toCallback(browser)).url)).pathname, '/me');
      assert.equal((await browser.json('/session/me')).body.user.email, 'bob@example.com');
      assert.ok(idp.requests().includes('/token'));
      assert.equal(idp.requests().includes('/me'), false, 'no UserInfo request was needed');
    } finally {
      await server.stop();
      await idp.close();
    }
  });
});

describe('federated sign-in over plain http', () => {
  it('refuses to start with an http upstream issuer on a non-loopback host', () => {
    for (const issuer of ['http://id.example.com', 'http://10.0.0.5:8080/realms/x']) {
      assert.throws(
        () => loadConfig({ OIDC_UPSTREAM_ISSUER: issuer, OIDC_UPSTREAM_CLIENT_ID: 'authlab' }),
        (error: unknown) => error instanceof ConfigError && /^OIDC_UPSTREAM_ISSUER must use https/.test(error.message),
      );
    }
    for (const issuer of ['https://accounts.google.com', 'http://127.0.0.1:8080/realms/dev', 'http://localhost:8080']) {
      assert.equal(
        loadConfig({ OIDC_UPSTREAM_ISSUER: issuer, OIDC_UPSTREAM_CLIENT_ID: 'a' }).oidcUpstream?.issuer,
        issuer,
      );
    }
  });

  it('refuses to sign in through the built-in provider when PUBLIC_URL is plain http off loopback', async () => {
    const server = await startTestServer({ env: { PUBLIC_URL: 'http://authlab.lan.example:4000' } });
    try {
      const browser = new Client(server.url);
      const start = await browser.request('/session/oidc/start');
      assert.equal(start.status, 303);
      refusedWith(new URL(start.headers.get('location') ?? '', server.url), 'oidc_insecure_issuer');
      assert.equal(start.headers.getSetCookie().length, 0, 'no flow was started');
      assert.doesNotMatch(server.logs(), /openid-configuration/, 'no discovery request left the server');
    } finally {
      await server.stop();
    }
  });
});
