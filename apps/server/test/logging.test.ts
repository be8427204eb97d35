import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '../src/logging.ts';
import { Client, DEMO_PASSWORD, startTestServer, type TestServer } from './support/server.ts';

interface LogLine {
  msg?: string;
  reqId?: string;
  method?: string;
  path?: string;
  status?: number;
  [key: string]: unknown;
}

const parseLines = (text: string): LogLine[] =>
  text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as LogLine);

describe('request logging over HTTP', () => {
  const BEARER = 'some.jwt.value';
  const WRONG = 'wrong-password-that-must-not-be-logged';
  let server: TestServer;
  /** Every X-Request-Id the server answered with, one per request made. */
  const requestIds: string[] = [];
  /** Every cookie value the server handed out. */
  const cookieValues = new Set<string>();
  /** The log as it stood right after those requests. */
  let logs = '';

  before(async () => {
    server = await startTestServer();
    const track = (response: { headers: Headers }) => {
      const id = response.headers.get('x-request-id');
      assert.ok(id, 'every response carries X-Request-Id');
      requestIds.push(id);
    };
    const remember = (client: Client) => {
      for (const value of client.cookies.values()) cookieValues.add(value);
    };

    const alice = new Client(server.url);
    const login = await alice.login('alice@example.com', DEMO_PASSWORD);
    assert.equal(login.status, 200);
    track(login);
    remember(alice);
    assert.ok(cookieValues.size > 0, 'the login set a session cookie');

    const me = await alice.json('/api/me');
    assert.equal(me.status, 200);
    track(me);
    const sessions = await alice.json('/session/sessions');
    assert.equal(sessions.status, 200);
    track(sessions);

    const bearer = await new Client(server.url).json('/api/me', { headers: { Authorization: `Bearer ${BEARER}` } });
    assert.equal(bearer.status, 401);
    track(bearer);

    const formClient = new Client(server.url);
    const form = await formClient.request('/session/login', {
      method: 'POST',
      form: { email: 'bob@example.com', password: DEMO_PASSWORD },
    });
    assert.equal(form.status, 303);
    track(form);
    remember(formClient);

    const failed = await new Client(server.url).login('alice@example.com', WRONG);
    assert.equal(failed.status, 401);
    track(failed);

    const failedForm = await new Client(server.url).request('/session/login', {
      method: 'POST',
      form: { email: 'alice@example.com', password: WRONG },
    });
    assert.equal(failedForm.status, 303);
    track(failedForm);

    // A body that is not valid JSON, with the password inside it: the parser error must not echo it.
    const malformed = await new Client(server.url).request('/session/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: `{"email":"alice@example.com","password":"${DEMO_PASSWORD}"`,
    });
    assert.equal(malformed.status, 400);
    track(malformed);
    logs = server.logs();
  });
  after(() => server.stop());

  it('never logs a password, a cookie value or a bearer token', () => {
    assert.ok(logs.length > 0, 'the server logged something');
    const secrets = [DEMO_PASSWORD, 'correct-horse', WRONG, BEARER, ...cookieValues];
    for (const secret of secrets) {
      assert.ok(!logs.includes(secret), `the log contains ${JSON.stringify(secret)}`);
    }
  });

  it('writes one JSON line per request with reqId, method, path and status', () => {
    const lines = parseLines(logs);
    const requestLines = lines.filter((line) => line.msg === 'request');
    assert.equal(requestLines.length, requestIds.length);
    for (const reqId of requestIds) {
      const matching = requestLines.filter((line) => line.reqId === reqId);
      assert.equal(matching.length, 1, `request ${reqId} logged ${matching.length} times`);
      const [line] = matching;
      assert.equal(typeof line?.method, 'string');
      assert.equal(typeof line?.path, 'string');
      assert.equal(typeof line?.status, 'number');
    }
    assert.deepEqual(
      requestLines.map((line) => [line.method, line.path, line.status]),
      [
        ['POST', '/session/login', 200],
        ['GET', '/api/me', 200],
        ['GET', '/session/sessions', 200],
        ['GET', '/api/me', 401],
        ['POST', '/session/login', 303],
        ['POST', '/session/login', 401],
        ['POST', '/session/login', 303],
        ['POST', '/session/login', 400],
      ],
    );
  });

  it('logs the path without the query string', async () => {
    const response = await new Client(server.url).request('/healthz?code=secret-authorization-code');
    assert.equal(response.status, 200);
    const reqId = response.headers.get('x-request-id');
    const line = parseLines(server.logs()).find((entry) => entry.reqId === reqId && entry.msg === 'request');
    assert.equal(line?.path, '/healthz');
    assert.ok(!server.logs().includes('secret-authorization-code'));
  });
});

describe('createLogger', () => {
  /** A logger writing into memory; `lines()` parses what it wrote. */
  function memoryLogger() {
    let text = '';
    const sink = new Writable({
      write(chunk, _encoding, callback) {
        text += chunk.toString();
        callback();
      },
    });
    return { logger: createLogger('info', sink), text: () => text, lines: () => parseLines(text) };
  }

  it('censors password, refresh_token and the authorization and cookie headers', () => {
    const { logger, text, lines } = memoryLogger();
    logger.info(
      {
        email: 'alice@example.com',
        password: 'hunter2-hunter2',
        refresh_token: 'rt-0123456789',
        headers: { authorization: 'Bearer abc.def.ghi', cookie: 'authlab.sid=s3ss10n', accept: 'application/json' },
      },
      'someone logged too much',
    );
    const [line] = lines();
    assert.equal(line?.password, '[redacted]');
    assert.equal(line?.refresh_token, '[redacted]');
    assert.deepEqual(line?.headers, { authorization: '[redacted]', cookie: '[redacted]', accept: 'application/json' });
    assert.equal(line?.email, 'alice@example.com');
    for (const secret of ['hunter2-hunter2', 'rt-0123456789', 'abc.def.ghi', 's3ss10n']) {
      assert.ok(!text().includes(secret), `the log contains ${secret}`);
    }
  });

  it('censors the same fields one level down (a request object, a parsed body)', () => {
    const { logger, text, lines } = memoryLogger();
    logger.info(
      {
        req: { headers: { authorization: 'Bearer nested.token.value', cookie: 'sid=nested-cookie' } },
        body: { email: 'alice@example.com', password: 'nested-password', refresh_token: 'nested-refresh' },
      },
      'nested',
    );
    const [line] = lines();
    assert.deepEqual(line?.req, { headers: { authorization: '[redacted]', cookie: '[redacted]' } });
    assert.deepEqual(line?.body, { email: 'alice@example.com', password: '[redacted]', refresh_token: '[redacted]' });
    for (const secret of ['nested.token.value', 'nested-cookie', 'nested-password', 'nested-refresh']) {
      assert.ok(!text().includes(secret), `the log contains ${secret}`);
    }
  });

  it('censors through child loggers too', () => {
    const { logger, lines } = memoryLogger();
    logger.child({ reqId: 'r-1' }).warn({ password: 'child-password' }, 'child');
    const [line] = lines();
    assert.equal(line?.reqId, 'r-1');
    assert.equal(line?.password, '[redacted]');
  });
});
