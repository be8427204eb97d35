import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { freePort } from '@authlab/testkit';
import helmet from 'koa-helmet';
import { helmetHeaders, helmetOptions } from '../src/http/security-headers.ts';
import { Client, DEMO_PASSWORD, startTestServer, type TestServer } from './support/server.ts';

const SESSION_COOKIE = '__Host-authlab.sid';

interface StateChange {
  name: string;
  method: string;
  /** Whether, once accepted, the request ends the caller's own session. */
  endsSession: boolean;
  /** Path and body for one attempt; it may first create what the request acts on. */
  prepare(client: Client): Promise<{ path: string; json?: unknown }>;
}

async function createNote(client: Client, text = 'a note'): Promise<string> {
  const created = await client.json('/api/notes', { method: 'POST', json: { text } });
  assert.equal(created.status, 201);
  return created.body.id as string;
}

async function currentSessionHandle(client: Client): Promise<string> {
  const { body } = await client.json('/session/sessions');
  const current = body.sessions.find((s: { current: boolean }) => s.current);
  assert.ok(current);
  return current.id as string;
}

const STATE_CHANGES: StateChange[] = [
  {
    name: 'POST /session/login',
    endsSession: false,
    method: 'POST',
    prepare: async () => ({ path: '/session/login', json: { email: 'alice@example.com', password: DEMO_PASSWORD } }),
  },
  {
    name: 'POST /session/logout',
    endsSession: true,
    method: 'POST',
    prepare: async () => ({ path: '/session/logout' }),
  },
  {
    name: 'POST /session/logout-all',
    endsSession: true,
    method: 'POST',
    prepare: async () => ({ path: '/session/logout-all' }),
  },
  {
    name: 'POST /api/notes',
    endsSession: false,
    method: 'POST',
    prepare: async () => ({ path: '/api/notes', json: { text: 'written by someone else' } }),
  },
  {
    name: 'DELETE /api/notes/:id',
    endsSession: false,
    method: 'DELETE',
    prepare: async (client) => ({ path: `/api/notes/${await createNote(client)}` }),
  },
  {
    name: 'DELETE /session/sessions/:id',
    endsSession: true,
    method: 'DELETE',
    prepare: async (client) => ({ path: `/session/sessions/${await currentSessionHandle(client)}` }),
  },
];

describe('origin check (CSRF)', () => {
  let server: TestServer;
  /** alice, signed in once; refused requests must leave her session and notes as they were. */
  let alice: Client;
  let otherPort: number;
  before(async () => {
    server = await startTestServer();
    alice = new Client(server.url);
    assert.equal((await alice.login()).status, 200);
    otherPort = await freePort();
  });
  after(() => server.stop());

  const hostileHeaders = (): Array<[string, Record<string, string>]> => [
    ['an evil Origin', { origin: 'https://evil.example' }],
    ['Origin from another port of 127.0.0.1 (same-site, cross-origin)', { origin: `http://127.0.0.1:${otherPort}` }],
    ['Origin from another port of localhost', { origin: `http://localhost:${otherPort}` }],
    ['Origin from the same port on another loopback name', { origin: `http://localhost:${server.port}` }],
    ['Origin over another scheme', { origin: `https://127.0.0.1:${server.port}` }],
    ['Origin: null', { origin: 'null' }],
    ['Sec-Fetch-Site: cross-site', { 'sec-fetch-site': 'cross-site' }],
    ['Sec-Fetch-Site: same-site', { 'sec-fetch-site': 'same-site' }],
    ['the right Origin but Sec-Fetch-Site: same-site', { origin: server.url, 'sec-fetch-site': 'same-site' }],
  ];

  for (const change of STATE_CHANGES) {
    it(`refuses ${change.name} from another origin with 403 forbidden_origin`, async () => {
      for (const [what, headers] of hostileHeaders()) {
        const { path, json } = await change.prepare(alice);
        const response = await alice.json(path, { method: change.method, headers, ...(json ? { json } : {}) });
        assert.equal(response.status, 403, `${what}: status`);
        assert.deepEqual(
          { error: response.body.error },
          { error: 'forbidden_origin' },
          `${what}: body ${JSON.stringify(response.body)}`,
        );
        assert.deepEqual(response.headers.getSetCookie(), [], `${what}: no cookie is set or cleared`);
      }
      // Nothing above took effect: alice is still signed in.
      assert.equal((await alice.json('/session/me')).status, 200);
    });
  }

  it('leaves the note in place when a cross-origin delete is refused', async () => {
    const id = await createNote(alice, 'keep me');
    const refused = await alice.json(`/api/notes/${id}`, {
      method: 'DELETE',
      headers: { 'sec-fetch-site': 'cross-site' },
    });
    assert.equal(refused.status, 403);
    assert.equal((await alice.json(`/api/notes/${id}`)).status, 200);
  });

  it('refuses a cross-origin note before writing it', async () => {
    const text = `cross-origin ${Date.now()}`;
    const refused = await alice.json('/api/notes', {
      method: 'POST',
      json: { text },
      headers: { origin: 'https://evil.example' },
    });
    assert.equal(refused.status, 403);
    const { body } = await alice.json('/api/notes');
    assert.ok(!body.notes.some((n: { text: string }) => n.text === text));
  });

  it('does not sign anyone in from a cross-origin login (login CSRF)', async () => {
    for (const headers of [
      { origin: 'https://evil.example' },
      { 'sec-fetch-site': 'cross-site' },
      { origin: `http://127.0.0.1:${otherPort}` },
    ]) {
      const victim = new Client(server.url);
      const json = await victim.json('/session/login', {
        method: 'POST',
        json: { email: 'alice@example.com', password: DEMO_PASSWORD },
        headers,
      });
      assert.equal(json.status, 403);
      assert.equal(json.body.error, 'forbidden_origin');
      const form = await victim.request('/session/login', {
        method: 'POST',
        form: { email: 'alice@example.com', password: DEMO_PASSWORD },
        headers,
      });
      assert.equal(form.status, 403);
      assert.deepEqual(form.headers.getSetCookie(), []);
      assert.equal(victim.cookies.size, 0);
      assert.equal((await victim.json('/session/me')).status, 401);
    }
  });

  it('lets a cross-site GET through (links and top-level navigation keep working)', async () => {
    const page = await alice.request('/', {
      headers: { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' },
    });
    assert.equal(page.status, 200);
    const me = await alice.json('/session/me', { headers: { 'sec-fetch-site': 'cross-site' } });
    assert.equal(me.status, 200);
  });

  const friendlyHeaders = (): Array<[string, Record<string, string>]> => [
    ['Origin exactly PUBLIC_URL', { origin: server.url }],
    ['Sec-Fetch-Site: same-origin', { 'sec-fetch-site': 'same-origin' }],
    ['Sec-Fetch-Site: none', { 'sec-fetch-site': 'none' }],
    ['Origin PUBLIC_URL and Sec-Fetch-Site: same-origin', { origin: server.url, 'sec-fetch-site': 'same-origin' }],
    ['neither header (a non-browser client)', {}],
  ];

  it('accepts a login from our own origin, from Sec-Fetch-Site same-origin/none, and with neither header', async () => {
    for (const [what, headers] of friendlyHeaders()) {
      const client = new Client(server.url);
      const login = await client.login('bob@example.com', DEMO_PASSWORD, headers);
      assert.equal(login.status, 200, `${what}: status ${login.status} ${JSON.stringify(login.body)}`);
      assert.ok(client.cookies.get(SESSION_COOKIE), `${what}: a session cookie is set`);
    }
  });

  it('accepts a new note from our own origin, from Sec-Fetch-Site same-origin/none, and with neither header', async () => {
    for (const [what, headers] of friendlyHeaders()) {
      const created = await alice.json('/api/notes', { method: 'POST', json: { text: what }, headers });
      assert.equal(created.status, 201, `${what}: status ${created.status}`);
    }
  });

  for (const change of STATE_CHANGES) {
    it(`accepts ${change.name} with Origin exactly PUBLIC_URL`, async () => {
      const client = new Client(server.url);
      assert.equal((await client.login('bob@example.com')).status, 200);
      const { path, json } = await change.prepare(client);
      const response = await client.json(path, {
        method: change.method,
        headers: { origin: server.url, 'sec-fetch-site': 'same-origin' },
        ...(json ? { json } : {}),
      });
      assert.ok(
        [200, 201, 204].includes(response.status),
        `status ${response.status} ${JSON.stringify(response.body)}`,
      );
      assert.equal((await client.json('/session/me')).status, change.endsSession ? 401 : 200);
    });
  }
});

describe('origin check exemption: only a Bearer token the server accepts', () => {
  let server: TestServer;
  let accessToken: string;
  before(async () => {
    server = await startTestServer();
    const login = await new Client(server.url).json('/jwt/login', {
      method: 'POST',
      json: { email: 'alice@example.com', password: DEMO_PASSWORD },
    });
    assert.equal(login.status, 200);
    accessToken = login.body.access_token;
  });
  after(() => server.stop());

  const crossSite = { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' };

  /** Counts the per-request revocation reads (family, revoked-before, account) while `body` runs. */
  async function countingChecks(body: (reads: () => number) => Promise<void>): Promise<void> {
    const checks = server.deps.store.credentialChecks;
    const accessToken = checks.accessToken.bind(checks);
    let reads = 0;
    checks.accessToken = (familyId, userId) => {
      reads += 1;
      return accessToken(familyId, userId);
    };
    try {
      await body(() => reads);
    } finally {
      checks.accessToken = accessToken;
    }
  }

  it('verifies a cross-origin Bearer call once: the API reuses what the origin check verified', async () => {
    await countingChecks(async (reads) => {
      const readsFor = async (headers: Record<string, string>) => {
        const before = reads();
        const response = await fetch(`${server.url}/api/notes`, {
          method: 'POST',
          headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json', ...headers },
          body: JSON.stringify({ text: 'from another origin' }),
        });
        assert.equal(response.status, 201);
        return reads() - before;
      };
      const sameOrigin = await readsFor({});
      assert.equal(sameOrigin, 1, 'the token is checked against the store once');
      assert.equal(await readsFor(crossSite), sameOrigin);
    });
  });

  it("verifies a cross-origin Bearer call to the JWT mode's own routes once too", async () => {
    await countingChecks(async (reads) => {
      const readsFor = async (headers: Record<string, string>) => {
        const before = reads();
        // A state-changing method (the origin check lets GET through unverified): revoking a
        // device that does not exist changes nothing.
        const response = await fetch(`${server.url}/jwt/devices/no-such-device`, {
          method: 'DELETE',
          headers: { authorization: `Bearer ${accessToken}`, ...headers },
        });
        assert.equal(response.status, 404);
        return reads() - before;
      };
      assert.equal(await readsFor({}), 1);
      assert.equal(await readsFor(crossSite), 1, 'not once for the origin check and again for the route');
    });
  });

  // Browsers attach Basic and Negotiate credentials by themselves, and a cross-site form post
  // carries no SameSite=Lax cookie: without the origin check this is login CSRF.
  const authorizations: Array<[string, () => string]> = [
    ['Basic (cached HTTP authentication)', () => `Basic ${Buffer.from('alice:secret').toString('base64')}`],
    ['Negotiate (Kerberos/SPNEGO)', () => 'Negotiate YIIBhgYGKwYBBQUCoIIBejCCAXagMDAuBgkqhkiC9xIBAgIGCSqGSIb3EgE='],
    ['a Bearer token the server does not accept', () => 'Bearer not-a-token-of-ours'],
    ['a Bearer token with a forged signature', () => `Bearer ${accessToken.slice(0, -4)}AAAA`],
  ];
  for (const [what, authorization] of authorizations) {
    it(`refuses a cross-site form login carrying ${what}: no session`, async () => {
      const header = authorization();
      const victim = new Client(server.url);
      const response = await victim.request('/session/login', {
        method: 'POST',
        form: { email: 'alice@example.com', password: DEMO_PASSWORD },
        headers: { ...crossSite, authorization: header },
      });
      assert.equal(response.status, 403);
      assert.equal(((await response.json()) as { error: string }).error, 'forbidden_origin');
      assert.deepEqual(response.headers.getSetCookie(), []);
    });
  }

  it('lets a cross-site request with an accepted Bearer token and no cookie through (no ambient credential)', async () => {
    const created = await new Client(server.url).json('/api/notes', {
      method: 'POST',
      json: { text: 'from a Bearer client' },
      headers: { ...crossSite, authorization: `Bearer ${accessToken}` },
    });
    assert.equal(created.status, 201);
  });

  it('checks the origin of a request with an accepted Bearer token when a cookie rides along', async () => {
    const refused = await new Client(server.url).json('/api/notes', {
      method: 'POST',
      json: { text: 'with a cookie' },
      headers: { ...crossSite, authorization: `Bearer ${accessToken}`, cookie: 'authlab.sid=x' },
    });
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error, 'forbidden_origin');
  });
});

describe('security headers', () => {
  let server: TestServer;
  let alice: Client;
  before(async () => {
    server = await startTestServer();
    alice = new Client(server.url);
    assert.equal((await alice.login()).status, 200);
  });
  after(() => server.stop());

  const responses = (): Array<[string, () => Promise<Response>]> => [
    ['the home page', () => alice.request('/')],
    ['the login page', () => new Client(server.url).request('/login')],
    ['JSON (/api/me)', () => alice.request('/api/me')],
    ['JSON (/healthz)', () => alice.request('/healthz')],
    ['a 401', () => new Client(server.url).request('/api/me')],
    ['a 404', () => alice.request('/no/such/route')],
    [
      'a 400',
      () => alice.request('/api/notes', { method: 'POST', body: '{', headers: { 'content-type': 'application/json' } }),
    ],
    ['a 403', () => alice.request('/api/notes', { method: 'POST', json: { text: 'x' }, headers: { origin: 'null' } })],
  ];

  for (const [what, send] of responses()) {
    it(`sets CSP, nosniff, Referrer-Policy and X-Frame-Options on ${what}`, async () => {
      const response = await send();
      await response.arrayBuffer();
      const csp = response.headers.get('content-security-policy') ?? '';
      const directives = new Map(
        csp
          .split(';')
          .map((d) => d.trim().split(/\s+/))
          .filter((parts) => parts[0])
          .map(([name = '', ...values]) => [name.toLowerCase(), values]),
      );
      assert.deepEqual(directives.get('frame-ancestors'), ["'none'"], `CSP: ${csp}`);
      const scriptSrc = directives.get('script-src') ?? directives.get('default-src');
      assert.ok(scriptSrc, `CSP limits scripts: ${csp}`);
      assert.ok(!scriptSrc.includes("'unsafe-inline'"), `no 'unsafe-inline' in script-src: ${csp}`);
      assert.ok(!scriptSrc.includes("'unsafe-eval'"), `no 'unsafe-eval' in script-src: ${csp}`);
      assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
      assert.ok(response.headers.get('referrer-policy'), 'a Referrer-Policy is set');
      assert.equal(response.headers.get('x-frame-options'), 'DENY');
      assert.equal(response.headers.get('strict-transport-security'), null, 'no HSTS on http');
    });
  }

  it('keeps a well-formed incoming X-Request-Id', async () => {
    const id = 'req-2024.abc_DEF-123';
    const response = await alice.request('/healthz', { headers: { 'x-request-id': id } });
    assert.equal(response.headers.get('x-request-id'), id);
  });

  it('replaces a malformed X-Request-Id with a fresh one', async () => {
    for (const bad of ['has spaces in it', '<script>alert(1)</script>', 'x'.repeat(200), 'a\tb']) {
      const response = await alice.request('/healthz', { headers: { 'x-request-id': bad } });
      const echoed = response.headers.get('x-request-id') ?? '';
      assert.notEqual(echoed, bad);
      assert.match(echoed, /^[A-Za-z0-9._-]{1,64}$/);
    }
  });

  it('gives every response a request id, different each time', async () => {
    const first = (await alice.request('/healthz')).headers.get('x-request-id');
    const second = (await alice.request('/healthz')).headers.get('x-request-id');
    assert.ok(first && second);
    assert.notEqual(first, second);
  });
});

describe('security headers computed once', () => {
  it("are koa-helmet's own per-request output, with HSTS and upgrade-insecure-requests only over https", async () => {
    for (const https of [false, true]) {
      // What koa-helmet itself sets on a response when it runs for a request.
      const live = new Map<string, string>();
      const res = {
        setHeader: (name: string, value: unknown) => void live.set(name, String(value)),
        removeHeader: (name: string) => void live.delete(name),
      };
      let reachedNext = false;
      await helmet(helmetOptions(https))({ req: {}, res } as never, async () => {
        reachedNext = true;
      });
      assert.ok(reachedNext);
      const precomputed = new Map(helmetHeaders(https));
      assert.deepEqual(precomputed, live);
      assert.equal(precomputed.has('Strict-Transport-Security'), https);
      assert.equal(precomputed.get('Content-Security-Policy')?.includes('upgrade-insecure-requests'), https);
    }
  });
});
