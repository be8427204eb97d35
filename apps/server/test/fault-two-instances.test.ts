/**
 * Fault: a load balancer sends a revocation to one instance and the next request to another.
 *
 * Two servers share one Redis, one DATA_DIR (secrets and keys) and one PUBLIC_URL. A revocation
 * made on A must hold on B at once — no cache, no replication lag, in every mode. What
 * redis-mode.test.ts (session logout, logout-all of sessions), jwt-revocation.test.ts (device
 * logout on B) and oidc-state.test.ts (a replayed refresh token) already pin is not repeated
 * here; this file covers `/api/logout-all` ending every mode's credential across instances, and
 * the per-item revocations (a session, a device, an OIDC refresh token per RFC 7009) made on the
 * other instance. ASVS V3.3.1/V3.3.3 (logout and "log out of all sessions" are effective),
 * RFC 7009 §2 (revocation), RFC 9700 §4.14 (refresh token revocation).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, test } from 'node:test';
import { freePort, type RedisServer, redisServerBinary, requireComponent, startRedisServer } from '@authlab/testkit';
import { addUser } from './support/jwt.ts';
import { authorize, tokenRequest } from './support/oidc.ts';
import { Client, DEMO_PASSWORD, startTestServer, type TestServer } from './support/server.ts';

const hasRedis = redisServerBinary() !== null;
const skip = hasRedis ? false : 'redis-server not found';

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** One person signed in three ways, each credential obtained on instance `on`. */
interface Credentials {
  email: string;
  cookie: string;
  jwt: { access: string; refresh: string };
  oidc: { access: string; refresh: string };
}

async function signInEveryWay(on: TestServer, email: string): Promise<Credentials> {
  const browser = new Client(on.url);
  const session = await browser.login(email);
  assert.equal(session.status, 200, JSON.stringify(session.body));
  const jwt = await new Client(on.url).json('/jwt/login', {
    method: 'POST',
    json: { email, password: DEMO_PASSWORD },
  });
  assert.equal(jwt.status, 200, JSON.stringify(jwt.body));
  const flow = await authorize(new Client(on.url), { email });
  assert.ok(flow.url, `no redirect to the client: ${flow.status} ${flow.body}`);
  const oidc = await tokenRequest(new Client(on.url), {
    grant_type: 'authorization_code',
    code: flow.params?.get('code') ?? '',
    redirect_uri: flow.redirectUri,
    code_verifier: flow.verifier,
  });
  assert.equal(oidc.status, 200, JSON.stringify(oidc.body));
  return {
    email,
    cookie: browser.cookieHeader(),
    jwt: { access: jwt.body.access_token, refresh: jwt.body.refresh_token },
    oidc: { access: oidc.body.access_token, refresh: oidc.body.refresh_token },
  };
}

const apiMe = (on: TestServer, headers: Record<string, string>) => new Client(on.url).json('/api/me', { headers });

/**
 * Every credential works on `on` — twice, so any per-instance shortcut (a verified-token cache,
 * a session read without a write) is warm when the revocation happens elsewhere.
 */
async function assertAllWork(on: TestServer, who: Credentials): Promise<void> {
  for (let round = 0; round < 2; round++) {
    assert.equal((await apiMe(on, { cookie: who.cookie })).body.mode, 'session');
    assert.equal((await apiMe(on, bearer(who.jwt.access))).body.mode, 'jwt');
    assert.equal((await apiMe(on, bearer(who.oidc.access))).body.mode, 'oidc');
  }
}

test('redis-server is available', (t) => {
  requireComponent(t, hasRedis, 'redis-server', 'apt-get install redis-server');
});

describe('revocations on one instance hold on the other at once (two instances, one Redis)', { skip }, () => {
  let redis: RedisServer;
  let dataDir: string;
  let a: TestServer;
  let b: TestServer;

  before(async () => {
    redis = await startRedisServer();
    dataDir = mkdtempSync(join(tmpdir(), 'authlab-fault-two-'));
    const portA = await freePort();
    const publicUrl = `http://127.0.0.1:${portA}`;
    const shared = { dataDir, redisKeyPrefix: `authlab-test:${process.pid}:fault-two:` };
    a = await startTestServer({ ...shared, env: { REDIS_URL: redis.url, PUBLIC_URL: publicUrl, PORT: String(portA) } });
    b = await startTestServer({ ...shared, env: { REDIS_URL: redis.url, PUBLIC_URL: publicUrl } });
  });

  after(async () => {
    await a?.stop();
    await b?.stop();
    await redis?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  for (const caller of ['session', 'jwt', 'oidc'] as const) {
    it(`POST /api/logout-all on A with the ${caller} credential ends the session, JWT family and OIDC grant on B`, async () => {
      const who = await signInEveryWay(b, await addUser(a, `logout-all-${caller}@example.com`).then((u) => u.email));
      await assertAllWork(b, who);

      const credential =
        caller === 'session' ? { cookie: who.cookie } : bearer(caller === 'jwt' ? who.jwt.access : who.oidc.access);
      const ended = await new Client(a.url).request('/api/logout-all', { method: 'POST', headers: credential });
      assert.equal(ended.status, 204);

      // On B, the very next request: every credential of every mode is refused.
      const session = await new Client(b.url).json('/session/me', { headers: { cookie: who.cookie } });
      assert.equal(session.status, 401, 'the session cookie still works on B');
      assert.equal((await apiMe(b, { cookie: who.cookie })).status, 401);
      for (const [mode, token] of [
        ['jwt', who.jwt.access],
        ['oidc', who.oidc.access],
      ] as const) {
        const me = await apiMe(b, bearer(token));
        assert.equal(me.status, 401, `the ${mode} access token still works on B`);
        assert.equal(me.body.error, 'invalid_token');
      }
      const jwtRefresh = await new Client(b.url).json('/jwt/refresh', {
        method: 'POST',
        json: { refresh_token: who.jwt.refresh },
      });
      assert.equal(jwtRefresh.status, 401, 'the JWT refresh token still works on B');
      assert.equal(jwtRefresh.body.error, 'invalid_grant');
      const oidcRefresh = await tokenRequest(new Client(b.url), {
        grant_type: 'refresh_token',
        refresh_token: who.oidc.refresh,
      });
      assert.equal(oidcRefresh.status, 400, 'the OIDC refresh token still works on B');
      assert.equal(oidcRefresh.body.error, 'invalid_grant');
    });
  }

  it('DELETE /session/sessions/:id on A ends that session on B, and no other', async () => {
    const email = (await addUser(a, 'session-item@example.com')).email;
    const laptop = new Client(b.url);
    const phone = new Client(b.url);
    assert.equal((await laptop.login(email)).status, 200);
    assert.equal((await phone.login(email)).status, 200);
    for (let round = 0; round < 2; round++) assert.equal((await laptop.json('/session/me')).status, 200);
    const onA = new Client(a.url);
    for (const [name, value] of phone.cookies) onA.cookies.set(name, value);
    const listed = await onA.json('/session/sessions');
    const target = (listed.body.sessions as Array<{ id: string; current: boolean }>).find((s) => !s.current);
    assert.ok(target, 'the laptop session is listed on A');
    assert.equal((await onA.request(`/session/sessions/${target.id}`, { method: 'DELETE' })).status, 204);

    assert.equal((await laptop.json('/session/me')).status, 401, 'the revoked session still works on B');
    assert.equal((await phone.json('/session/me')).status, 200, "the caller's own session is untouched");
  });

  it('DELETE /jwt/devices/:id on A refuses that device’s access and refresh tokens on B', async () => {
    const email = (await addUser(a, 'device-item@example.com')).email;
    const login = (device_name: string) =>
      new Client(b.url).json('/jwt/login', { method: 'POST', json: { email, password: DEMO_PASSWORD, device_name } });
    const laptop = (await login('laptop')).body;
    const phone = (await login('phone')).body;
    for (let round = 0; round < 2; round++) assert.equal((await apiMe(b, bearer(laptop.access_token))).status, 200);
    const devices = await new Client(a.url).json('/jwt/devices', { headers: bearer(phone.access_token) });
    const target = (devices.body.devices as Array<{ id: string; name: string }>).find((d) => d.name === 'laptop');
    assert.ok(target);
    const revoked = await new Client(a.url).request(`/jwt/devices/${target.id}`, {
      method: 'DELETE',
      headers: bearer(phone.access_token),
    });
    assert.equal(revoked.status, 204);

    assert.equal((await apiMe(b, bearer(laptop.access_token))).status, 401, 'the laptop access token works on B');
    const refresh = await new Client(b.url).json('/jwt/refresh', {
      method: 'POST',
      json: { refresh_token: laptop.refresh_token },
    });
    assert.equal(refresh.status, 401);
    assert.equal(refresh.body.error, 'invalid_grant');
    assert.equal((await apiMe(b, bearer(phone.access_token))).status, 200, 'the other device is untouched');
  });

  it('revoking an OIDC refresh token on A (RFC 7009) ends its grant on B: refresh and access refused', async () => {
    const email = (await addUser(a, 'oidc-item@example.com')).email;
    const who = await signInEveryWay(b, email);
    await assertAllWork(b, who);
    const revocation = await new Client(a.url).request('/oidc/token/revocation', {
      method: 'POST',
      form: { client_id: 'authlab-desktop', token: who.oidc.refresh, token_type_hint: 'refresh_token' },
    });
    assert.equal(revocation.status, 200);

    const refresh = await tokenRequest(new Client(b.url), {
      grant_type: 'refresh_token',
      refresh_token: who.oidc.refresh,
    });
    assert.equal(refresh.body.error, 'invalid_grant', 'the revoked refresh token still works on B');
    const me = await apiMe(b, bearer(who.oidc.access));
    assert.equal(me.status, 401, 'an access token of the revoked grant still works on B');
    // The person's other credentials are not touched by revoking one grant.
    assert.equal((await apiMe(b, { cookie: who.cookie })).status, 200);
    assert.equal((await apiMe(b, bearer(who.jwt.access))).status, 200);
  });
});
