import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client, DEMO_PASSWORD, startTestServer, type TestServer } from './support/server.ts';

/** Signs of a leaked stack trace or server path in a response body. */
function assertNoInternals(text: string): void {
  assert.doesNotMatch(text, /\bat [\w.<>]+ \(/, 'no stack frames');
  assert.doesNotMatch(text, /\n\s+at /, 'no stack frames');
  assert.doesNotMatch(text, /(\/work\/|\/home\/|\/root\/|node_modules|\.ts:\d+|\.js:\d+)/, 'no file paths');
}

interface ErrorBody {
  error?: string;
  error_description?: string;
}

/** POSTs a raw body with the given content type and reads the answer as text and JSON. */
async function postRaw(server: TestServer, path: string, body: string | undefined, contentType?: string) {
  const headers: Record<string, string> = {};
  if (contentType) headers['content-type'] = contentType;
  const response = await fetch(new URL(path, server.url), { method: 'POST', body, headers });
  const text = await response.text();
  let json: ErrorBody | undefined;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

describe('bad input', () => {
  let server: TestServer;
  let alice: Client;
  before(async () => {
    server = await startTestServer();
    alice = new Client(server.url);
    assert.equal((await alice.login()).status, 200);
  });
  after(() => server.stop());

  describe('request bodies', () => {
    it('answers malformed JSON with 400 invalid_request and no stack trace', async () => {
      for (const body of ['{', '{"email":', "{'email':'a'}", '{"email":"a",}', 'nul']) {
        const response = await postRaw(server, '/session/login', body, 'application/json');
        assert.equal(response.status, 400, body);
        assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
        assert.equal(response.json?.error, 'invalid_request', body);
        assertNoInternals(response.text);
      }
    });

    it('answers a 3 MB body with 413 payload_too_large', async () => {
      const body = JSON.stringify({ email: 'alice@example.com', password: 'x'.repeat(3 * 1024 * 1024) });
      const response = await fetch(new URL('/session/login', server.url), {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) },
      });
      assert.equal(response.status, 413);
      assert.deepEqual(await response.json(), { error: 'payload_too_large' });
    });

    it('refuses a 1 MB password with a 4xx', async () => {
      const response = await new Client(server.url).json('/session/login', {
        method: 'POST',
        json: { email: 'alice@example.com', password: 'p'.repeat(1024 * 1024) },
      });
      assert.ok(response.status >= 400 && response.status < 500, `status ${response.status}`);
      assert.equal(typeof response.body.error, 'string');
    });

    it('answers a 2 KB password with 400 password_too_long', async () => {
      const response = await new Client(server.url).json('/session/login', {
        method: 'POST',
        json: { email: 'alice@example.com', password: 'p'.repeat(2048) },
      });
      assert.equal(response.status, 400);
      assert.equal(response.body.error, 'password_too_long');
    });

    it('answers fields of the wrong type with 400 naming the field', async () => {
      // A top-level array or string is refused by the strict JSON parser itself, without a field name.
      const cases: Array<[unknown, string | null]> = [
        [{ email: 5, password: DEMO_PASSWORD }, 'email'],
        [{ email: 'alice@example.com', password: ['x'] }, 'password'],
        [{ email: null, password: DEMO_PASSWORD }, 'email'],
        [{ email: 'alice@example.com', password: { $gt: '' } }, 'password'],
        [[], null],
        ['alice', null],
      ];
      for (const [json, field] of cases) {
        const response = await new Client(server.url).json('/session/login', { method: 'POST', json });
        assert.equal(response.status, 400, JSON.stringify(json));
        assert.equal(response.body.error, 'invalid_request');
        if (field) assert.match(response.body.error_description, new RegExp(`^${field}\\b`), JSON.stringify(json));
      }
    });

    it('answers a missing field with 400 naming it', async () => {
      const response = await new Client(server.url).json('/session/login', {
        method: 'POST',
        json: { email: 'alice@example.com' },
      });
      assert.equal(response.status, 400);
      assert.equal(response.body.error, 'invalid_request');
      assert.match(response.body.error_description, /^password\b/);
    });

    it('answers unknown fields with 400 naming the field', async () => {
      const login = await new Client(server.url).json('/session/login', {
        method: 'POST',
        json: { email: 'alice@example.com', password: DEMO_PASSWORD, role: 'admin' },
      });
      assert.equal(login.status, 400);
      assert.equal(login.body.error, 'invalid_request');
      assert.match(login.body.error_description, /\brole\b/);
      const note = await alice.json('/api/notes', { method: 'POST', json: { text: 'hi', ownerId: 'someone-else' } });
      assert.equal(note.status, 400);
      assert.match(note.body.error_description, /\bownerId\b/);
    });

    it('answers a missing body or text/plain with a JSON error', async () => {
      const cases: Array<[string | undefined, string | undefined]> = [
        [undefined, undefined],
        ['email=alice@example.com', 'text/plain'],
        ['<login/>', 'application/xml'],
      ];
      for (const [body, type] of cases) {
        const response = await postRaw(server, '/session/login', body, type);
        assert.ok([400, 415].includes(response.status), `${type}: status ${response.status}`);
        assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
        assert.equal(typeof response.json?.error, 'string');
        assertNoInternals(response.text);
      }
    });

    it('refuses __proto__ and constructor keys and stays unpolluted and working', async () => {
      const bodies = [
        `{"__proto__":{"polluted":"yes"},"email":"alice@example.com","password":"${DEMO_PASSWORD}"}`,
        `{"constructor":{"prototype":{"polluted":"yes"}},"email":"alice@example.com","password":"${DEMO_PASSWORD}"}`,
        `{"email":"alice@example.com","password":"${DEMO_PASSWORD}","__proto__":{"isAdmin":true}}`,
      ];
      for (const body of bodies) {
        const response = await postRaw(server, '/session/login', body, 'application/json');
        assert.equal(response.status, 400, body);
        assert.equal(response.json?.error, 'invalid_request');
        assert.equal(response.headers.getSetCookie().length, 0, 'no session for a refused body');
      }
      const note = await alice.json('/api/notes', {
        method: 'POST',
        body: '{"text":"x","constructor":{"prototype":{"polluted":"yes"}}}',
        headers: { 'content-type': 'application/json' },
      });
      assert.equal(note.status, 400);
      assert.match(note.body.error_description, /\bconstructor\b/);
      const constructorBody = await postRaw(server, '/session/login', bodies[1], 'application/json');
      assert.match(constructorBody.json?.error_description ?? '', /\bconstructor\b/);
      // The server runs in this process: a polluted prototype would show here.
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
      assert.equal(({} as Record<string, unknown>).isAdmin, undefined);
      assert.equal((await new Client(server.url).json('/healthz')).status, 200);
      assert.equal((await new Client(server.url).login()).status, 200);
    });
  });

  describe('Authorization headers', () => {
    const garbage: Array<[string, string]> = [
      ['an empty Bearer', 'Bearer '],
      ['a bare Bearer', 'Bearer'],
      ['Basic credentials', 'Basic xyz'],
      ['Basic with a real-looking pair', `Basic ${Buffer.from('alice@example.com:x').toString('base64')}`],
      ['a token with spaces', 'Bearer a b c'],
      ['a lower-case scheme and junk', 'bearer !!!'],
      // fetch sends Latin-1 code points as raw bytes 0x80-0xFF, so this reaches the server as non-ASCII.
      ['non-ASCII bytes', 'Bearer caf\u00e9\u00ff\u00a0'],
      ['a 10 KB token', `Bearer ${'a'.repeat(10 * 1024)}`],
    ];

    for (const [what, authorization] of garbage) {
      it(`answers ${what} on /api/me with 401 JSON and WWW-Authenticate`, async () => {
        const response = await fetch(new URL('/api/me', server.url), { headers: { authorization } });
        assert.equal(response.status, 401);
        assert.match(response.headers.get('www-authenticate') ?? '', /^Bearer realm="authlab"/);
        assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
        const body = (await response.json()) as ErrorBody;
        assert.equal(typeof body.error, 'string');
      });
    }

    it('does not let a garbage Authorization header fall back to a valid cookie', async () => {
      const response = await alice.json('/api/me', { headers: { authorization: 'Basic xyz' } });
      assert.equal(response.status, 401);
    });
  });

  describe('routing', () => {
    it('answers unknown routes with 404 JSON', async () => {
      for (const path of ['/nope', '/api/nothing-here', '/session/unknown', '/%2e%2e/etc/passwd']) {
        const response = await postRaw(server, path, undefined);
        const get = await fetch(new URL(path, server.url));
        const text = await get.text();
        assert.equal(get.status, 404, path);
        assert.match(get.headers.get('content-type') ?? '', /^application\/json/);
        assert.equal(JSON.parse(text).error, 'not_found');
        assert.ok([404, 405].includes(response.status), `POST ${path}: ${response.status}`);
      }
    });

    it('answers a wrong method with 405 JSON and Allow', async () => {
      const cases: Array<[string, string]> = [
        ['DELETE', '/session/me'],
        ['GET', '/session/login'],
        ['PUT', '/healthz'],
        ['PATCH', '/session/logout'],
      ];
      for (const [method, path] of cases) {
        const response = await fetch(new URL(path, server.url), { method });
        assert.equal(response.status, 405, `${method} ${path}`);
        assert.ok(response.headers.get('allow'), `${method} ${path}: Allow`);
        assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
        assert.equal(((await response.json()) as ErrorBody).error, 'method_not_allowed');
      }
    });

    it('routes paths case-sensitively (RFC 3986), so no route runs without its router middleware', async () => {
      // @koa/router 15 matches router.use() middleware case-sensitively; were routes not, GET /API/me
      // would reach its handler without the API's authentication (http/router.ts).
      const client = new Client(server.url);
      assert.equal((await client.login('alice@example.com', DEMO_PASSWORD)).status, 200);
      for (const path of ['/session/me', '/session/me/', '/session/sessions/', '/api/me', '/api/me/']) {
        assert.equal((await client.json(path)).status, 200, path);
      }
      for (const path of ['/assets/favicon.svg', '/healthz', '/healthz/']) {
        assert.equal((await client.request(path)).status, 200, path);
      }
      for (const path of ['/API/me', '/Api/notes', '/SESSION/me', '/Session/Me/', '/ASSETS/favicon.svg', '/HEALTHZ']) {
        const answer = await client.json(path);
        assert.equal(answer.status, 404, path);
        assert.equal((answer.body as ErrorBody).error, 'not_found', path);
      }
      for (const path of ['/sessionx/me', '/assetsx/favicon.svg', '/healthzz', '/apix/me']) {
        assert.equal((await client.request(path)).status, 404, path);
      }
      const wrongMethod = await client.request('/session/me', { method: 'PUT' });
      assert.equal(wrongMethod.status, 405);
      assert.equal(wrongMethod.headers.get('allow'), 'HEAD, GET');
    });
  });
});
