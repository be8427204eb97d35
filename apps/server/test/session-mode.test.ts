import assert from 'node:assert/strict';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Client, DEMO_PASSWORD, manualClock, startTestServer, type TestServer } from './support/server.ts';

const SECURE_NAME = '__Host-authlab.sid';
const PLAIN_NAME = 'authlab.sid';
const MINUTE = 60_000;

/** A request that carries exactly this Cookie header and nothing else (an old or stolen cookie). */
function withCookie(server: TestServer, path: string, cookie: string, init: RequestInit = {}) {
  return fetch(new URL(path, server.url), { ...init, headers: { cookie }, redirect: 'manual' });
}

/** The session cookie is signed by Koa's `cookies` module: HMAC-SHA1 of `name=value`, base64url (keygrip). */
function forgeSignature(server: TestServer, name: string, value: string): string {
  const key = server.deps.secrets.sessionKeys[0];
  assert.ok(key, 'the server has a session key');
  return createHmac('sha1', key).update(`${name}=${value}`).digest('base64url');
}

/** Each Set-Cookie line as a name, a value and lower-cased attributes. */
function parseSetCookies(response: Response) {
  return response.headers.getSetCookie().map((line) => {
    const [pair = '', ...rest] = line.split(';');
    const eq = pair.indexOf('=');
    return {
      name: pair.slice(0, eq).trim(),
      value: pair.slice(eq + 1).trim(),
      attributes: rest.map((a) => a.trim().toLowerCase()),
    };
  });
}

async function loggedIn(server: TestServer, email = 'alice@example.com'): Promise<Client> {
  const client = new Client(server.url);
  const login = await client.login(email);
  assert.equal(login.status, 200, `login as ${email}`);
  return client;
}

describe('session mode', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.stop());

  describe('session fixation', () => {
    it('never adopts a planted unsigned session id', async () => {
      const planted = randomBytes(32).toString('base64url');
      const client = new Client(server.url);
      client.cookies.set(SECURE_NAME, planted);
      assert.equal((await client.login()).status, 200);
      const issued = client.cookies.get(SECURE_NAME);
      assert.ok(issued);
      assert.notEqual(issued, planted);
      assert.equal((await withCookie(server, '/session/me', `${SECURE_NAME}=${planted}`)).status, 401);
    });

    it('never adopts a planted id even when its signature is valid', async () => {
      const genuine = await loggedIn(server);
      const genuineId = genuine.cookies.get(SECURE_NAME) ?? '';
      assert.equal(
        forgeSignature(server, SECURE_NAME, genuineId),
        genuine.cookies.get(`${SECURE_NAME}.sig`),
        'the forged signature is the one the server itself would produce',
      );
      const planted = randomBytes(32).toString('base64url');
      const signature = forgeSignature(server, SECURE_NAME, planted);
      const plantedCookie = `${SECURE_NAME}=${planted}; ${SECURE_NAME}.sig=${signature}`;
      const client = new Client(server.url);
      client.cookies.set(SECURE_NAME, planted);
      client.cookies.set(`${SECURE_NAME}.sig`, signature);
      assert.equal((await client.login()).status, 200);
      assert.notEqual(client.cookies.get(SECURE_NAME), planted);
      assert.equal((await client.json('/session/me')).status, 200);
      assert.equal((await withCookie(server, '/session/me', plantedCookie)).status, 401);
    });

    it("does not adopt an attacker's own live session planted in the victim's browser", async () => {
      const attacker = await loggedIn(server, 'bob@example.com');
      const victim = new Client(server.url);
      for (const [name, value] of attacker.cookies) victim.cookies.set(name, value);
      const login = await victim.login('alice@example.com');
      assert.equal(login.status, 200);
      assert.notEqual(victim.cookies.get(SECURE_NAME), attacker.cookies.get(SECURE_NAME));
      assert.equal((await victim.json('/session/me')).body.user.email, 'alice@example.com');
      // The attacker's cookie does not now open alice's account.
      const attackerView = await attacker.json('/session/me');
      assert.notEqual(attackerView.body?.user?.email, 'alice@example.com');
    });

    it('issues a new id at every login and kills the old one', async () => {
      const client = await loggedIn(server);
      const firstCookie = client.cookieHeader();
      const firstId = client.cookies.get(SECURE_NAME);
      assert.equal((await client.login()).status, 200);
      const secondId = client.cookies.get(SECURE_NAME);
      assert.ok(secondId);
      assert.notEqual(secondId, firstId);
      assert.equal((await withCookie(server, '/session/me', firstCookie)).status, 401);
      assert.equal((await client.json('/session/me')).status, 200);
    });
  });

  describe('the cookie', () => {
    it('is __Host-authlab.sid, HttpOnly, SameSite=Lax, Path=/, Secure and without Domain on a loopback origin', async () => {
      const response = await new Client(server.url).request('/session/login', {
        method: 'POST',
        json: { email: 'alice@example.com', password: DEMO_PASSWORD },
      });
      assert.equal(response.status, 200);
      const cookies = parseSetCookies(response);
      assert.ok(
        cookies.some((c) => c.name === SECURE_NAME),
        'sets __Host-authlab.sid',
      );
      for (const cookie of cookies) {
        assert.ok(cookie.name.startsWith(SECURE_NAME), `unexpected cookie ${cookie.name}`);
        assert.ok(cookie.attributes.includes('httponly'), `${cookie.name} is HttpOnly`);
        assert.ok(cookie.attributes.includes('samesite=lax'), `${cookie.name} is SameSite=Lax`);
        assert.ok(cookie.attributes.includes('path=/'), `${cookie.name} has Path=/`);
        assert.ok(cookie.attributes.includes('secure'), `${cookie.name} is Secure`);
        assert.ok(!cookie.attributes.some((a) => a.startsWith('domain=')), `${cookie.name} has no Domain`);
      }
    });

    it('carries at least 256 bits of randomness', async () => {
      const client = await loggedIn(server);
      const value = client.cookies.get(SECURE_NAME) ?? '';
      assert.match(value, /^[A-Za-z0-9_-]+$/);
      assert.ok(Buffer.from(value, 'base64url').length >= 32, `only ${value.length} characters`);
    });
  });

  describe('GET /session/me', () => {
    it('answers the user and the session times in ISO 8601', async () => {
      const client = new Client(server.url);
      const login = await client.login();
      const me = await client.json('/session/me');
      assert.equal(me.status, 200);
      assert.deepEqual(me.body.user, login.body.user);
      assert.deepEqual(Object.keys(me.body.user).sort(), ['email', 'id', 'role']);
      const { createdAt, expiresAt } = me.body.session;
      for (const time of [createdAt, expiresAt]) {
        assert.equal(typeof time, 'string');
        assert.equal(new Date(time).toISOString(), time);
      }
      assert.ok(Date.parse(expiresAt) > Date.parse(createdAt));
    });

    it('answers 401 without a cookie', async () => {
      const me = await new Client(server.url).json('/session/me');
      assert.equal(me.status, 401);
      assert.equal(me.body.error, 'unauthenticated');
    });
  });

  describe('logout', () => {
    it('answers 204 and the old cookie no longer works', async () => {
      const client = await loggedIn(server);
      const oldCookie = client.cookieHeader();
      const logout = await client.request('/session/logout', { method: 'POST' });
      assert.equal(logout.status, 204);
      assert.equal((await withCookie(server, '/session/me', oldCookie)).status, 401);
      assert.equal((await withCookie(server, '/api/me', oldCookie)).status, 401);
    });

    it("logout-all ends every session of the user and no one else's", async () => {
      const first = await loggedIn(server, 'alice@example.com');
      const second = await loggedIn(server, 'alice@example.com');
      const bob = await loggedIn(server, 'bob@example.com');
      const firstCookie = first.cookieHeader();
      const logoutAll = await first.request('/session/logout-all', { method: 'POST' });
      assert.equal(logoutAll.status, 204);
      assert.equal((await withCookie(server, '/session/me', firstCookie)).status, 401);
      assert.equal((await second.json('/session/me')).status, 401);
      assert.equal((await bob.json('/session/me')).status, 200);
    });
  });

  describe('the session list', () => {
    it('lists public handles, never the cookie value or its hash', async () => {
      const other = await loggedIn(server);
      const client = new Client(server.url);
      assert.equal(
        (await client.login('alice@example.com', DEMO_PASSWORD, { 'user-agent': 'authlab-test/1' })).status,
        200,
      );
      const response = await client.request('/session/sessions');
      assert.equal(response.status, 200);
      const text = await response.text();
      for (const holder of [client, other]) {
        const cookieValue = holder.cookies.get(SECURE_NAME) ?? '';
        assert.ok(cookieValue.length > 0);
        assert.ok(!text.includes(cookieValue), 'the cookie value is not in the list');
        assert.ok(!text.includes(holder.cookies.get(`${SECURE_NAME}.sig`) ?? '-'), 'the signature is not in the list');
        for (const encoding of ['base64url', 'hex', 'base64'] as const) {
          const hash = createHash('sha256').update(cookieValue).digest(encoding);
          assert.ok(!text.includes(hash), `the cookie hash (${encoding}) is not in the list`);
        }
      }
      const { sessions } = JSON.parse(text);
      assert.ok(sessions.length >= 2);
      for (const session of sessions) {
        assert.deepEqual(Object.keys(session).sort(), ['createdAt', 'current', 'id', 'ip', 'lastSeenAt', 'userAgent']);
      }
      const current = sessions.filter((s: { current: boolean }) => s.current);
      assert.equal(current.length, 1);
      assert.equal(current[0].userAgent, 'authlab-test/1');
      assert.equal(current[0].ip, '127.0.0.1');
    });

    it('revokes another session by its id', async () => {
      const victim = await loggedIn(server);
      const client = await loggedIn(server);
      const currentHandle = async (holder: Client) =>
        (await holder.json('/session/sessions')).body.sessions.find((s: { current: boolean }) => s.current)
          ?.id as string;
      const target = await currentHandle(victim);
      assert.ok(target);
      assert.notEqual(target, await currentHandle(client));
      const revoke = await client.request(`/session/sessions/${encodeURIComponent(target)}`, { method: 'DELETE' });
      assert.equal(revoke.status, 204);
      assert.equal((await victim.json('/session/me')).status, 401);
      assert.equal((await client.json('/session/me')).status, 200);
      const after = (await client.json('/session/sessions')).body.sessions as Array<{ id: string }>;
      assert.ok(!after.some((s) => s.id === target));
    });

    it('answers 404 for an unknown session id', async () => {
      const client = await loggedIn(server);
      const revoke = await client.json(`/session/sessions/${randomBytes(16).toString('base64url')}`, {
        method: 'DELETE',
      });
      assert.equal(revoke.status, 404);
      assert.equal(revoke.body.error, 'not_found');
    });

    it("answers 404 for another user's session id and leaves it alive", async () => {
      const bob = await loggedIn(server, 'bob@example.com');
      const bobHandle = (await bob.json('/session/sessions')).body.sessions.find((s: { current: boolean }) => s.current)
        ?.id as string;
      const alice = await loggedIn(server);
      const revoke = await alice.json(`/session/sessions/${encodeURIComponent(bobHandle)}`, { method: 'DELETE' });
      assert.equal(revoke.status, 404);
      assert.equal((await bob.json('/session/me')).status, 200);
    });
  });

  describe('form posts', () => {
    it('answers a form login with 303 to /me and a working session', async () => {
      const client = new Client(server.url);
      const response = await client.request('/session/login', {
        method: 'POST',
        form: { email: 'alice@example.com', password: DEMO_PASSWORD },
      });
      assert.equal(response.status, 303);
      assert.equal(response.headers.get('location'), '/me');
      assert.equal((await client.json('/session/me')).status, 200);
    });

    it('answers a form login with a wrong password with 303 to /login?error=invalid_credentials', async () => {
      const client = new Client(server.url);
      const response = await client.request('/session/login', {
        method: 'POST',
        form: { email: 'alice@example.com', password: 'not-the-right-password' },
      });
      assert.equal(response.status, 303);
      assert.equal(response.headers.get('location'), '/login?error=invalid_credentials');
      assert.equal(client.cookies.get(SECURE_NAME), undefined);
    });
  });

  describe('a disabled account', () => {
    it('loses its live session at once, and re-enabling does not revive it', async () => {
      const client = await loggedIn(server, 'bob@example.com');
      const me = await client.json('/session/me');
      const bobId = me.body.user.id as string;
      const cookie = client.cookieHeader();
      try {
        await server.deps.store.users.setDisabled(bobId, true);
        assert.equal((await client.json('/session/me')).status, 401);
        assert.equal((await withCookie(server, '/api/me', cookie)).status, 401);
      } finally {
        await server.deps.store.users.setDisabled(bobId, false);
      }
      assert.equal((await withCookie(server, '/session/me', cookie)).status, 401);
    });
  });
});

describe('session mode on a non-loopback http origin', () => {
  let server: TestServer;
  before(async () => {
    // PUBLIC_URL only decides the origin check and the cookie's name; we still connect to 127.0.0.1.
    server = await startTestServer({ env: { PUBLIC_URL: 'http://authlab.test:8080' } });
  });
  after(() => server.stop());

  it('names the cookie authlab.sid and does not mark it Secure', async () => {
    const client = new Client(server.url);
    const response = await client.request('/session/login', {
      method: 'POST',
      json: { email: 'alice@example.com', password: DEMO_PASSWORD },
    });
    assert.equal(response.status, 200);
    const cookies = parseSetCookies(response);
    const session = cookies.find((c) => c.name === PLAIN_NAME);
    assert.ok(session, `sets ${PLAIN_NAME}`);
    for (const cookie of cookies) {
      assert.ok(!cookie.name.startsWith('__Host-'), `${cookie.name} has no __Host- prefix`);
      assert.ok(!cookie.attributes.includes('secure'), `${cookie.name} is not Secure`);
      assert.ok(cookie.attributes.includes('httponly'));
      assert.ok(cookie.attributes.includes('samesite=lax'));
      assert.ok(cookie.attributes.includes('path=/'));
    }
    assert.equal((await client.json('/session/me')).status, 200);
  });
});

describe('session timeouts (injected clock)', () => {
  const clock = manualClock();
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ clock, env: { SESSION_IDLE_TTL: '10m', SESSION_ABSOLUTE_TTL: '1h' } });
  });
  after(() => server.stop());

  it('ends a session left idle for the idle timeout', async () => {
    const client = await loggedIn(server);
    clock.advance(10 * MINUTE);
    assert.equal((await client.json('/session/me')).status, 401);
  });

  it('keeps an active session past the idle timeout but never past the absolute lifetime', async () => {
    const start = clock();
    const client = await loggedIn(server);
    for (let step = 1; step <= 6; step++) {
      clock.advance(9 * MINUTE);
      const me = await client.json('/session/me');
      assert.equal(me.status, 200, `still alive after ${step * 9} minutes of activity`);
    }
    // 54 minutes in: the idle window would reach 64, the absolute cap stops it at 60.
    const me = await client.json('/session/me');
    assert.equal(me.body.session.expiresAt, new Date(start + 60 * MINUTE).toISOString());
    clock.advance(5 * MINUTE + 59_000);
    assert.equal((await client.json('/session/me')).status, 200, 'alive one second before the cap');
    clock.advance(1_000);
    assert.equal((await client.json('/session/me')).status, 401, 'dead at the absolute cap');
  });

  it('updates lastSeenAt at most once per touch interval', async () => {
    const client = await loggedIn(server);
    const current = async () => {
      const { body } = await client.json('/session/sessions');
      return body.sessions.find((s: { current: boolean }) => s.current) as { createdAt: string; lastSeenAt: string };
    };
    const first = await current();
    assert.equal(first.lastSeenAt, first.createdAt);
    // The touch interval is min(60 s, idle TTL / 10) = 60 s here.
    clock.advance(30_000);
    for (let i = 0; i < 5; i++) assert.equal((await client.json('/session/me')).status, 200);
    assert.equal((await current()).lastSeenAt, first.lastSeenAt, 'a burst inside the interval writes nothing');
    clock.advance(31_000);
    assert.equal((await client.json('/session/me')).status, 200);
    assert.equal((await current()).lastSeenAt, new Date(clock()).toISOString());
  });
});

describe('the session store is read only where a handler needs the session', () => {
  let server: TestServer;
  let reads = 0;
  let saves = 0;
  before(async () => {
    server = await startTestServer();
    const { sessions } = server.deps.store;
    const getWithUser = sessions.getWithUser.bind(sessions);
    sessions.getWithUser = (key) => {
      reads += 1;
      return getWithUser(key);
    };
    const save = sessions.save.bind(sessions);
    sessions.save = (key, record) => {
      saves += 1;
      return save(key, record);
    };
  });
  after(() => server.stop());

  async function readsFor(client: Client, path: string, headers: Record<string, string> = {}) {
    const before = reads;
    const response = await client.request(path, { headers });
    await response.arrayBuffer();
    return { status: response.status, reads: reads - before };
  }

  it('reads nothing for an asset, a health probe or a Bearer call that carry a live session cookie', async () => {
    const client = await loggedIn(server);
    const jwt = await client.json('/jwt/login', {
      method: 'POST',
      json: { email: 'alice@example.com', password: DEMO_PASSWORD },
    });
    assert.equal(jwt.status, 200);
    assert.deepEqual(await readsFor(client, '/assets/favicon.svg'), { status: 200, reads: 0 });
    assert.deepEqual(await readsFor(client, '/healthz'), { status: 200, reads: 0 });
    assert.deepEqual(await readsFor(client, '/.well-known/jwks.json'), { status: 200, reads: 0 });
    const bearer = await readsFor(client, '/api/me', { authorization: `Bearer ${jwt.body.access_token}` });
    assert.deepEqual(bearer, { status: 200, reads: 0 });
  });

  it('reads the session once for each request that uses it', async () => {
    const client = await loggedIn(server);
    assert.deepEqual(await readsFor(client, '/api/me'), { status: 200, reads: 1 });
    assert.deepEqual(await readsFor(client, '/session/me'), { status: 200, reads: 1 });
    assert.deepEqual(await readsFor(client, '/me'), { status: 200, reads: 1 });
    assert.deepEqual(await readsFor(client, '/oidc-flow/nowhere'), { status: 404, reads: 0 });
  });

  it('writes a session once at sign-in, and never on a request that only reads it', async () => {
    const client = new Client(server.url);
    const before = saves;
    assert.equal((await client.login()).status, 200);
    assert.equal(saves - before, 1, 'one write at sign-in');
    for (const path of ['/api/me', '/session/me', '/me', '/session/sessions']) {
      assert.equal((await readsFor(client, path)).status, 200, path);
    }
    assert.equal(saves - before, 1, 'no write for a read');
    const again = await client.login();
    assert.equal(again.status, 200);
    assert.equal(saves - before, 2, 'one write for the second sign-in');
  });
});
