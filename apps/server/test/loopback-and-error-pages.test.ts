import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from './support/server.ts';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A request with a chosen Host header (fetch may not set one), to the server's real socket. */
function send(
  server: TestServer,
  path: string,
  { method = 'GET', headers = {}, body }: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, method, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        text += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const PAGE = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

describe('the other loopback name and browser-facing errors', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer(); // PUBLIC_URL is http://127.0.0.1:<port>
  });
  after(() => server.stop());

  describe('a browser on the loopback name that is not PUBLIC_URL’s', () => {
    it('is redirected to the same path and query on PUBLIC_URL', async () => {
      const answer = await send(server, '/login?error=x', {
        headers: { host: `localhost:${server.port}`, accept: PAGE },
      });
      assert.equal(answer.status, 302);
      assert.equal(answer.headers.location, `${server.url}/login?error=x`);
      assert.equal(answer.headers['cache-control'], 'no-store');
    });

    it('is redirected from [::1] as well, and a path starting with // stays a path on PUBLIC_URL', async () => {
      const answer = await send(server, '//evil.example/x', {
        headers: { host: `[::1]:${server.port}`, accept: PAGE },
      });
      assert.equal(answer.status, 302);
      assert.equal(new URL(String(answer.headers.location)).origin, server.url);
      assert.equal(answer.headers.location, `${server.url}//evil.example/x`);
    });

    it('is not redirected on PUBLIC_URL’s own host, nor for a host that is not a loopback name', async () => {
      const own = await send(server, '/login', { headers: { host: `127.0.0.1:${server.port}`, accept: PAGE } });
      assert.equal(own.status, 200);
      const foreign = await send(server, '/login', { headers: { host: 'evil.example', accept: PAGE } });
      assert.equal(foreign.status, 200, 'the redirect only ever names PUBLIC_URL, and only for loopback aliases');
    });

    it('leaves API clients and scripts alone: no redirect without a request for HTML', async () => {
      const api = await send(server, '/healthz', { headers: { host: `localhost:${server.port}` } });
      assert.equal(api.status, 200);
      const script = await send(server, '/api/me', { headers: { host: `localhost:${server.port}`, accept: '*/*' } });
      assert.equal(script.status, 401);
    });
  });

  describe('a refused form post', () => {
    it('from the other loopback name returns to /login on PUBLIC_URL, which names the right address', async () => {
      const answer = await send(server, '/session/login', {
        method: 'POST',
        headers: {
          host: `127.0.0.1:${server.port}`,
          origin: `http://localhost:${server.port}`,
          'sec-fetch-site': 'cross-site',
          'content-type': 'application/x-www-form-urlencoded',
          accept: PAGE,
        },
        body: 'email=alice%40example.com&password=x',
      });
      assert.equal(answer.status, 303);
      assert.equal(answer.headers.location, `${server.url}/login?error=forbidden_origin`);
      assert.equal(answer.headers['set-cookie'], undefined, 'no session was begun');
      const login = await send(server, '/login?error=forbidden_origin', { headers: { accept: PAGE } });
      assert.match(login.body, /role="alert"[^>]*>[^<]*not sent from http:\/\/127\.0\.0\.1:\d+/);
      assert.ok(login.body.includes(server.url), 'the message names PUBLIC_URL');
    });

    it('stays a 403 forbidden_origin in JSON for a JSON client', async () => {
      const answer = await send(server, '/session/login', {
        method: 'POST',
        headers: { origin: 'https://evil.example', 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'alice@example.com', password: 'x' }),
      });
      assert.equal(answer.status, 403);
      assert.equal(JSON.parse(answer.body).error, 'forbidden_origin');
    });
  });

  describe('error answers', () => {
    const cases: Array<[string, string, string, number, string]> = [
      ['an unknown page', 'GET', '/no-such-page', 404, 'not_found'],
      ['a page that needs a sign-in', 'GET', '/session/sessions', 401, 'unauthenticated'],
      ['a route that takes another method', 'PUT', '/session/login', 405, 'method_not_allowed'],
    ];
    for (const [what, method, path, status, code] of cases) {
      it(`are an HTML page with a way back for ${what} (${status}) when the browser asks for HTML`, async () => {
        const answer = await send(server, path, { method, headers: { accept: PAGE } });
        assert.equal(answer.status, status);
        assert.match(String(answer.headers['content-type']), /^text\/html/);
        assert.match(answer.body, /<h1 id="error-heading">/);
        assert.match(answer.body, /<a class="button" href="\/(login)?">/, 'a way back');
        assert.ok(answer.body.includes(`<code id="error-code">${code}</code>`));
      });
      it(`stay JSON for ${what} (${status}) for API clients and fetch`, async () => {
        for (const accept of ['application/json', '*/*', '']) {
          const answer = await send(server, path, { method, headers: accept ? { accept } : {} });
          assert.equal(answer.status, status);
          assert.equal(JSON.parse(answer.body).error, code, `Accept: ${accept || '(none)'}`);
        }
      });
    }

    it('keep WWW-Authenticate on a 401 page and Allow on a 405 page', async () => {
      const unauthorised = await send(server, '/session/me', { headers: { accept: PAGE } });
      assert.match(String(unauthorised.headers['www-authenticate']), /^Bearer/);
      const wrongMethod = await send(server, '/session/login', { method: 'PUT', headers: { accept: PAGE } });
      assert.match(String(wrongMethod.headers.allow), /POST/);
    });

    it('are a 403 page naming PUBLIC_URL for a refused form that is not a session form', async () => {
      const answer = await send(server, '/oidc/interaction/x/login', {
        method: 'POST',
        headers: { origin: 'https://evil.example', 'content-type': 'application/x-www-form-urlencoded', accept: PAGE },
        body: 'email=a',
      });
      assert.equal(answer.status, 403);
      assert.ok(answer.body.includes(`href="${server.url}/"`));
    });

    it('stay JSON under /api even for a browser asking for HTML', async () => {
      const answer = await send(server, '/api/me', { headers: { accept: PAGE } });
      assert.equal(answer.status, 401);
      assert.equal(JSON.parse(answer.body).error, 'unauthenticated');
    });

    it('escape the path they show', async () => {
      const answer = await send(server, '/"><script>alert(1)</script>', { headers: { accept: PAGE } });
      assert.equal(answer.status, 404);
      assert.ok(!answer.body.includes('<script>alert'));
      assert.ok(answer.body.includes('&quot;&gt;&lt;script&gt;'));
    });
  });
});
