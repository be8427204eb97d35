/**
 * Hostile input in the HTTP layer: arbitrary Cookie and Authorization headers (fast-check), a
 * client that sends its headers one byte at a time (slowloris), and oversized headers.
 *
 * Credentials the server did not issue are refused with 401 (or 400), never a 5xx: cookies with
 * any name and value, correctly signed session ids that name no session, Authorization values of
 * every scheme, and JWT-shaped garbage with arbitrary headers and claims. RFC 6750 §3 (the
 * Bearer challenge), RFC 6265 §5.2 (cookie parsing is lenient, validation is not), ASVS V3.2,
 * V5.1.4; CWE-400 and the slowloris attack (ASVS V12.1.1 bounds, OWASP API4:2023).
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/logging.ts';
import { type RunningServer, startServer } from '../src/server.ts';
import { assertJsonClientError, b64url, headerValue, hostileString, runs, send } from './support/hostile.ts';
import { rawRequest } from './support/jwt-forge.ts';
import { Client, startTestServer, type TestServer } from './support/server.ts';

/** koa's signed cookies (keygrip): HMAC-SHA1 of `name=value` under the first key, base64url. */
function signCookie(key: string, name: string, value: string): string {
  return createHmac('sha1', key).update(`${name}=${value}`).digest('base64url');
}

/** Cookie-value characters (RFC 6265 §4.1.1 cookie-octet) plus the ones browsers let through anyway. */
const cookieValue = fc.oneof(
  fc.string({ unit: fc.constantFrom(..."abcXYZ019-_.~!#$%&'()*+/:<>?@[]^`{|}".split('')), maxLength: 80 }),
  headerValue.map((v) => v.replace(/[;,]/g, '')),
);

describe('arbitrary credentials in headers', () => {
  let server: TestServer;
  let sessionCookie: string;
  let sessionKey: string;

  before(async () => {
    server = await startTestServer();
    const browser = new Client(server.url);
    assert.equal((await browser.login()).status, 200);
    sessionCookie = [...browser.cookies.keys()].find((name) => !name.endsWith('.sig')) ?? '';
    sessionKey = server.deps.secrets.sessionKeys[0] ?? '';
    // The signer below is the server's: it reproduces the signature of a real session cookie.
    const real = browser.cookies.get(sessionCookie) ?? '';
    assert.equal(signCookie(sessionKey, sessionCookie, real), browser.cookies.get(`${sessionCookie}.sig`));
  });

  after(async () => {
    assert.doesNotMatch(server.logs(), /"msg":"request failed"/);
    await server.stop();
  });

  it('answers arbitrary Cookie headers on /api/me and /session/me with 401 (or 400/431), never 5xx', async () => {
    const names = fc.oneof(
      fc.constantFrom(sessionCookie, `${sessionCookie}.sig`, 'authlab.sid', '__Secure-authlab.rt', '__proto__', ''),
      fc.string({ unit: fc.constantFrom(...'abAZ09_-.$'.split('')), minLength: 1, maxLength: 20 }),
    );
    const pairs = fc
      .array(fc.tuple(names, cookieValue), { maxLength: 6 })
      .map((list) => list.map(([n, v]) => `${n}=${v}`));
    // A session id signed with the server's own key, so the lookup in the store runs.
    const signed = fc
      .oneof(
        hostileString.map((s) => s.replace(/[^\x21-\x7e]|[;,"\\]/g, '')),
        fc.string({ maxLength: 64 }),
      )
      .filter((id) => id !== '')
      .map((id) => `${sessionCookie}=${id}; ${sessionCookie}.sig=${signCookie(sessionKey, sessionCookie, id)}`);
    const cookies = fc.oneof(
      headerValue,
      pairs.map((p) => p.join('; ')),
      pairs.map((p) => p.join(';')),
      signed,
    );

    await fc.assert(
      fc.asyncProperty(fc.constantFrom('/api/me', '/session/me'), cookies, async (path, cookie) => {
        const answer = await send(server.url, path, { headers: { cookie } });
        assertJsonClientError(answer, `${path} Cookie: ${cookie.slice(0, 120)}`);
        // 431 when the generated cookies add up past Node's 16 KiB header limit.
        assert.ok([400, 401, 431].includes(answer.status), `${path}: ${answer.status}`);
      }),
      runs(200),
    );
  });

  it('answers arbitrary Authorization headers on /api/me with 401 (or 400) and a Bearer challenge, never 5xx', async () => {
    const claims = fc.dictionary(
      fc.oneof(
        fc.constantFrom(
          'iss',
          'aud',
          'sub',
          'exp',
          'iat',
          'nbf',
          'jti',
          'sid',
          'gid',
          'role',
          'client_id',
          '__proto__',
        ),
        fc.string(),
      ),
      fc.oneof(hostileString, fc.jsonValue({ maxDepth: 2 })),
      { maxKeys: 8 },
    );
    const joseHeader = fc.record(
      {
        alg: fc.oneof(fc.constantFrom('none', 'EdDSA', 'HS256', 'RS256', 'ES256', 'NONE', ''), hostileString),
        typ: fc.oneof(fc.constantFrom('at+jwt', 'JWT', 'application/at+jwt'), hostileString),
        kid: fc.oneof(fc.constantFrom('__proto__', 'constructor', '../../secrets/jwt-keys.json', ''), hostileString),
        jwk: fc.jsonValue({ maxDepth: 2 }),
        crit: fc.array(fc.string(), { maxLength: 3 }),
      },
      { requiredKeys: [] },
    );
    const jwtShaped = fc
      .tuple(
        joseHeader,
        claims,
        fc.oneof(
          fc.constant(''),
          fc.base64String().map((s) => s.replace(/=+$/, '')),
        ),
      )
      .map(
        ([h, c, sig]) =>
          `${b64url(JSON.stringify(h))}.${b64url(JSON.stringify(c))}.${sig.replace(/\+/g, '-').replace(/\//g, '_')}`,
      );
    const authorization = fc.oneof(
      headerValue,
      headerValue.map((v) => `Bearer ${v}`),
      fc
        .tuple(
          fc.constantFrom('Bearer', 'bearer', 'BEARER', 'Basic', 'DPoP', 'Digest', 'Negotiate', 'Bearer  '),
          jwtShaped,
        )
        .map(([scheme, token]) => `${scheme} ${token}`),
      fc
        .string({ unit: fc.constantFrom(...'ABCabc0123456789-._~+/='.split('')), maxLength: 200 })
        .map((t) => `Bearer ${t}`),
    );

    await fc.assert(
      fc.asyncProperty(authorization, async (value) => {
        const answer = await send(server.url, '/api/me', { headers: { authorization: value } });
        assertJsonClientError(answer, `Authorization: ${value.slice(0, 120)}`);
        assert.ok([400, 401].includes(answer.status), `${answer.status} for ${value.slice(0, 120)}`);
        if (answer.status === 401)
          assert.match(answer.headers.get('www-authenticate') ?? '', /^Bearer realm="authlab"/);
      }),
      runs(200),
    );
  });

  for (const [method, path] of [
    ['POST', '/session/login'],
    ['POST', '/oidc/token'],
  ] as const) {
    it(`answers a 20 KB Cookie header on ${method} ${path} with 431 JSON and keeps serving`, async () => {
      const request = [
        `${method} ${path} HTTP/1.1`,
        `Host: 127.0.0.1:${server.port}`,
        `Cookie: big=${'c'.repeat(20 * 1024)}`,
        'Content-Type: application/json',
        'Content-Length: 2',
        '',
        '{}',
      ].join('\r\n');
      const response = await rawRequest(server.port, Buffer.from(request));
      assert.equal(response.status, 431);
      assert.match(response.headers['content-type'] ?? '', /^application\/json/);
      assert.deepEqual(JSON.parse(response.body), { error: 'headers_too_large' });
      assert.equal((await new Client(server.url).json('/healthz')).status, 200);
    });
  }
});

describe('a client that sends its headers one byte every 200 ms (slowloris)', () => {
  /** Short enough for a test; the server's default is 15 s (StartOptions.headersTimeoutMs). */
  const HEADERS_TIMEOUT_MS = 1_000;
  let running: RunningServer;
  let dataDir: string;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'authlab-hostile-slow-'));
    const config = loadConfig({ PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
    running = await startServer({
      config,
      logger: createLogger('silent'),
      host: '127.0.0.1',
      headersTimeoutMs: HEADERS_TIMEOUT_MS,
    });
  });

  after(async () => {
    await running?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('is answered 408 JSON and disconnected by the server while it is still sending', async () => {
    const socket = connect(running.port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    // Headers that never end: the blank line that would complete them is never sent.
    const request = `GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: ${'a'.repeat(1_000)}`;
    let received = '';
    let closedByServer = false;
    let sent = 0;
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      received += chunk;
    });
    socket.on('error', () => {
      // A reset after the answer is still a close by the server.
    });
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.once('end', () => {
      closedByServer = true;
    });
    const drip = setInterval(() => {
      if (sent < request.length && socket.writable) socket.write(request[sent++] ?? '');
    }, 200);

    // Bounded: the server must cut the connection long before the request could ever finish
    // (1 000+ bytes at 5 a second is over 3 minutes); 10 s leaves room for a slow CI machine.
    const deadline = new Promise<'deadline'>((resolve) => setTimeout(() => resolve('deadline'), 10_000).unref());
    const outcome = await Promise.race([closed.then(() => 'closed' as const), deadline]);
    clearInterval(drip);
    socket.destroy();

    assert.equal(outcome, 'closed', `the connection was still open after 10 s (${sent} bytes sent)`);
    assert.ok(closedByServer || received.length > 0, 'the server closed the connection');
    assert.ok(sent < request.length, 'the client was still sending its headers');
    assert.match(received, /^HTTP\/1\.1 408 Request Timeout\r\n/);
    assert.match(received, /\r\nContent-Type: application\/json\r\n/);
    assert.ok(received.endsWith('{"error":"request_timeout"}'), received);

    // The server itself is unharmed.
    const health = await send(running.url, '/healthz');
    assert.equal(health.status, 200);
  });

  it('uses a 15 s headers timeout by default', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'authlab-hostile-default-'));
    const config = loadConfig({ PORT: '0', DATA_DIR: dir, LOG_LEVEL: 'silent' });
    const server = await startServer({ config, logger: createLogger('silent'), host: '127.0.0.1' });
    try {
      assert.equal(server.server.headersTimeout, 15_000);
      assert.ok(server.server.requestTimeout >= server.server.headersTimeout);
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
