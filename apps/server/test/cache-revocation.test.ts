/**
 * The API skips the signature check for an access token it has verified before (JWT and OIDC
 * modes) and for a session cookie whose signature it has checked before, reads a session with its
 * account in one store call, and never writes the session back per request. These suites prove
 * the shortcuts keep the rules: a token served from the cache is refused right after logout,
 * logout-all, a revoked grant or device, a disabled account, or its expiry on the injected clock;
 * a session cookie is refused right after logout, logout-all, its revocation or a disabled
 * account; and a session is written at most once per touch interval, not on every request.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { sessionIdGenerator } from '../src/modes/session/session-middleware.ts';
import { addUser, assertAccessDead, assertAccessWorks, describeForEachStore, loginPair } from './support/jwt.ts';
import { authorize, tokenRequest } from './support/oidc.ts';
import { Client, manualClock, type TestServer } from './support/server.ts';

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** Calls the API twice with the token: the first verification fills the cache, the second is served from it. */
async function warm(server: TestServer, token: string, mode: 'jwt' | 'oidc'): Promise<void> {
  for (let i = 0; i < 2; i++) {
    const me = await new Client(server.url).json('/api/me', { headers: bearer(token) });
    assert.equal(me.status, 200, JSON.stringify(me.body));
    assert.equal(me.body.mode, mode);
  }
}

async function assertRefused(server: TestServer, token: string, message: string): Promise<void> {
  const me = await new Client(server.url).json('/api/me', { headers: bearer(token) });
  assert.equal(me.status, 401, message);
  assert.equal(me.body.error, 'invalid_token', message);
}

describeForEachStore('JWT mode: revocation with the verification cache warm', (store) => {
  let server: TestServer;
  const clock = manualClock();
  let accounts = 0;
  const newAccount = async () => (await addUser(server, `cached${++accounts}@example.com`)).email;

  before(async () => {
    server = await store.start({ clock });
  });

  it('refuses a cached token right after POST /jwt/logout', async () => {
    const pair = await loginPair(server.url, await newAccount());
    await warm(server, pair.access_token, 'jwt');
    const answer = await new Client(server.url).request('/jwt/logout', {
      method: 'POST',
      json: { refresh_token: pair.refresh_token },
    });
    assert.equal(answer.status, 204);
    await assertAccessDead(server.url, pair.access_token, 'the cached token outlived its logout');
  });

  it('refuses a cached token right after logout-all', async () => {
    const pair = await loginPair(server.url, await newAccount());
    await warm(server, pair.access_token, 'jwt');
    const answer = await new Client(server.url).request('/jwt/logout-all', {
      method: 'POST',
      headers: bearer(pair.access_token),
    });
    assert.equal(answer.status, 204);
    await assertAccessDead(server.url, pair.access_token, 'the cached token outlived logout-all');
  });

  it('refuses a cached token right after its device is revoked, and keeps the other device working', async () => {
    const email = await newAccount();
    const laptop = await loginPair(server.url, email, { device_name: 'laptop' });
    const phone = await loginPair(server.url, email, { device_name: 'phone' });
    await warm(server, laptop.access_token, 'jwt');
    await warm(server, phone.access_token, 'jwt');
    const { body } = await new Client(server.url).json('/jwt/devices', { headers: bearer(phone.access_token) });
    const laptopId = body.devices.find((d: { name: string }) => d.name === 'laptop').id;
    const revoked = await new Client(server.url).request(`/jwt/devices/${laptopId}`, {
      method: 'DELETE',
      headers: bearer(phone.access_token),
    });
    assert.equal(revoked.status, 204);
    await assertAccessDead(server.url, laptop.access_token, 'the revoked device kept its cached token');
    await assertAccessWorks(server.url, phone.access_token);
  });

  it('refuses a cached token right after the account is disabled', async () => {
    const email = await newAccount();
    const pair = await loginPair(server.url, email);
    await warm(server, pair.access_token, 'jwt');
    const user = await server.deps.store.users.findByEmail(email);
    assert.ok(user);
    // Only the flag: the CLI's disable also revokes sessions and tokens, which would hide a cache
    // that forgot to read the account.
    await server.deps.store.users.setDisabled(user.id, true);
    await assertAccessDead(server.url, pair.access_token, 'a disabled account kept its cached token');
  });

  it('refuses a cached token once it expires on the injected clock', async () => {
    const pair = await loginPair(server.url, await newAccount());
    await warm(server, pair.access_token, 'jwt');
    clock.advance((900 + 4) * 1000);
    await assertAccessWorks(server.url, pair.access_token); // within the 5 s clock tolerance
    clock.advance(2 * 1000);
    await assertAccessDead(server.url, pair.access_token, 'the cache kept an expired token alive');
  });
});

describeForEachStore('OIDC mode: revocation with the verification cache warm', (store) => {
  let server: TestServer;
  const clock = manualClock();
  let accounts = 0;

  before(async () => {
    server = await store.start({ clock });
  });

  /** A new account signed in through the provider (login, consent, code + PKCE): its access token. */
  async function oidcAccessToken(): Promise<{ token: string; email: string }> {
    const email = (await addUser(server, `oidc-cached${++accounts}@example.com`)).email;
    const result = await authorize(new Client(server.url), { email });
    const code = result.params?.get('code');
    assert.ok(code, `authorization failed: ${result.status} ${result.body}`);
    const tokens = await tokenRequest(new Client(server.url), {
      grant_type: 'authorization_code',
      code,
      redirect_uri: result.redirectUri,
      code_verifier: result.verifier,
    });
    assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
    return { token: tokens.body.access_token, email };
  }

  it('refuses a cached token right after POST /api/logout-all revokes its grant', async () => {
    const { token } = await oidcAccessToken();
    await warm(server, token, 'oidc');
    const answer = await new Client(server.url).request('/api/logout-all', { method: 'POST', headers: bearer(token) });
    assert.equal(answer.status, 204);
    await assertRefused(server, token, 'the cached token outlived its revoked grant');
  });

  it('refuses a cached token right after the account is disabled', async () => {
    const { token, email } = await oidcAccessToken();
    await warm(server, token, 'oidc');
    const user = await server.deps.store.users.findByEmail(email);
    assert.ok(user);
    await server.deps.store.users.setDisabled(user.id, true);
    await assertRefused(server, token, 'a disabled account kept its cached token');
  });

  it('refuses a cached token once it expires on the injected clock', async () => {
    const { token } = await oidcAccessToken();
    await warm(server, token, 'oidc');
    const { exp } = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as { exp: number };
    clock.advance(exp * 1000 - clock() + 4_000);
    await warm(server, token, 'oidc'); // within the 5 s clock tolerance
    clock.advance(2_000);
    await assertRefused(server, token, 'the cache kept an expired token alive');
  });
});

describeForEachStore('session mode: reading a session writes nothing', (store) => {
  let server: TestServer;
  const clock = manualClock();
  const writes: string[] = [];

  before(async () => {
    server = await store.start({ clock });
    // Every write the session layer can make goes through these: count them.
    const sessions = server.deps.store.sessions;
    for (const method of ['save', 'touch', 'delete'] as const) {
      const original = sessions[method].bind(sessions) as (...args: unknown[]) => Promise<void>;
      (sessions as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
        writes.push(method);
        return original(...args);
      };
    }
  });

  it('answers API calls from the stored session without writing it, then touches it once a minute at most', async () => {
    const browser = new Client(server.url);
    assert.equal((await browser.login()).status, 200);
    writes.length = 0;
    for (let i = 0; i < 20; i++) {
      const me = await browser.json('/api/me');
      assert.equal(me.status, 200);
      assert.equal(me.body.mode, 'session');
    }
    assert.deepEqual(writes, [], 'no store write per request');

    clock.advance(60_000);
    for (let i = 0; i < 5; i++) assert.equal((await browser.json('/api/me')).status, 200);
    assert.deepEqual(writes, ['touch'], 'one last-seen update after the interval, then none');
  });

  it('draws no session into the store for a request without a cookie (a Bearer call, an asset)', async () => {
    writes.length = 0;
    assert.equal((await new Client(server.url).request('/assets/favicon.svg')).status, 200);
    const pair = await loginPair(server.url, 'alice@example.com');
    assert.equal((await new Client(server.url).json('/api/me', { headers: bearer(pair.access_token) })).status, 200);
    assert.deepEqual(writes, []);
  });
});

describeForEachStore('session mode: revocation with the cookie signature check warm', (store) => {
  let server: TestServer;
  let accounts = 0;
  const newAccount = async () => (await addUser(server, `session-cached${++accounts}@example.com`)).email;

  before(async () => {
    server = await store.start();
  });

  /** Signs in and calls the API twice with the same cookie: the second call's signature check is a cache hit. */
  async function warmBrowser(email: string): Promise<{ browser: Client; cookie: string }> {
    const browser = new Client(server.url);
    assert.equal((await browser.login(email)).status, 200);
    for (let i = 0; i < 2; i++) {
      const me = await browser.json('/api/me');
      assert.equal(me.status, 200);
      assert.equal(me.body.mode, 'session');
    }
    return { browser, cookie: browser.cookieHeader() };
  }

  /** The old cookie, sent as it was, on the very next request: refused by the API and the session mode. */
  async function assertCookieDead(cookie: string, message: string): Promise<void> {
    for (const path of ['/api/me', '/session/me']) {
      const answer = await fetch(new URL(path, server.url), { headers: { cookie } });
      assert.equal(answer.status, 401, `${path}: ${message}`);
    }
  }

  it('refuses the cookie right after POST /session/logout', async () => {
    const { browser, cookie } = await warmBrowser(await newAccount());
    assert.equal((await browser.request('/session/logout', { method: 'POST' })).status, 204);
    await assertCookieDead(cookie, 'the cookie outlived its logout');
  });

  it('refuses the cookie right after logout-all from another session, in the session mode and the API', async () => {
    for (const path of ['/session/logout-all', '/api/logout-all']) {
      const email = await newAccount();
      const { cookie } = await warmBrowser(email);
      const { browser: other } = await warmBrowser(email);
      assert.equal((await other.request(path, { method: 'POST' })).status, 204);
      await assertCookieDead(cookie, `the cookie outlived ${path}`);
    }
  });

  it('refuses the cookie right after its session is revoked from another one, and keeps that one working', async () => {
    const email = await newAccount();
    const { browser: victim, cookie } = await warmBrowser(email);
    const { browser: other } = await warmBrowser(email);
    const handle = (await victim.json('/session/sessions')).body.sessions.find((s: { current: boolean }) => s.current)
      .id as string;
    assert.equal(
      (await other.request(`/session/sessions/${encodeURIComponent(handle)}`, { method: 'DELETE' })).status,
      204,
    );
    await assertCookieDead(cookie, 'the revoked session kept working');
    assert.equal((await other.json('/api/me')).status, 200);
  });

  it('refuses the cookie right after the account is disabled, and reads the account afresh on every request', async () => {
    const email = await newAccount();
    const { browser, cookie } = await warmBrowser(email);
    const user = await server.deps.store.users.findByEmail(email);
    assert.ok(user);
    await server.deps.store.users.setRole(user.id, 'admin');
    assert.equal((await browser.json('/api/me')).body.role, 'admin', 'a role change shows on the next request');
    await server.deps.store.users.setDisabled(user.id, true);
    await assertCookieDead(cookie, 'the disabled account kept its session');
  });
});

describe('session ids', () => {
  it('are 256 random bits each (43 base64url characters), never repeated across refills of the pool', () => {
    const next = sessionIdGenerator(4);
    const ids = Array.from({ length: 1_000 }, () => next());
    for (const id of ids) assert.match(id, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(new Set(ids).size, ids.length);
  });
});
