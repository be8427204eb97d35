import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_LOGIN_LIMITS, type LoginLimits } from '@authlab/auth-core';
import { Client, DEMO_PASSWORD, startTestServer, type TestServer } from './support/server.ts';

const WRONG = 'not-the-right-password';

/** Small pair limit, nothing else in the way (no IP block, no slow-down) unless a suite asks. */
const SMALL_LIMITS: LoginLimits = {
  ...DEFAULT_LOGIN_LIMITS,
  pairFailures: 3,
  ipFailures: 1_000,
  accountSlowdownAfter: 1_000,
};

/** A `sleep` that returns at once and remembers every delay the login slow-down asked for. */
function sleepRecorder() {
  const delays: number[] = [];
  return {
    delays,
    sleep: async (ms: number) => {
      delays.push(ms);
    },
  };
}

/** POSTs a JSON login and returns the raw response with its body text. */
async function rawLogin(server: TestServer, email: string, password: string, headers: Record<string, string> = {}) {
  const response = await fetch(new URL('/session/login', server.url), {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ email, password }),
  });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

const headerNames = (headers: Headers) =>
  [...headers.keys()].filter((name) => name !== 'date' && name !== 'x-request-id').sort();

function assertTooManyAttempts(response: { status: number; headers: Headers; body: unknown }) {
  assert.equal(response.status, 429);
  assert.equal((response.body as { error?: string }).error, 'too_many_attempts');
  const retryAfter = response.headers.get('retry-after') ?? '';
  assert.match(retryAfter, /^\d+$/, `Retry-After is "${retryAfter}"`);
  assert.ok(Number(retryAfter) >= 1, `Retry-After is ${retryAfter}`);
}

async function failTimes(client: Client, email: string, times: number, headers: Record<string, string> = {}) {
  for (let i = 0; i < times; i++) {
    const response = await client.login(email, WRONG, headers);
    assert.equal(response.status, 401, `failure ${i + 1} answered ${response.status}`);
  }
}

describe('login security without a trusted proxy', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ loginLimits: SMALL_LIMITS, sleep: sleepRecorder().sleep });
  });
  after(() => server.stop());

  it('answers an unknown email exactly like a wrong password: same status, body and header names', async () => {
    const unknown = await rawLogin(server, 'nobody@example.com', WRONG);
    const wrong = await rawLogin(server, 'alice@example.com', WRONG);
    assert.equal(unknown.status, 401);
    assert.equal(wrong.status, 401);
    assert.equal(unknown.text, wrong.text);
    assert.equal(JSON.parse(wrong.text).error, 'invalid_credentials');
    assert.deepEqual(headerNames(unknown.headers), headerNames(wrong.headers));
  });

  it('refuses with 429 too_many_attempts and Retry-After once the pair has failed too often, even the correct password', async () => {
    const client = new Client(server.url);
    await failTimes(client, 'bob@example.com', 3);
    assertTooManyAttempts(await client.login('bob@example.com', WRONG));
    assertTooManyAttempts(await client.login('bob@example.com', DEMO_PASSWORD));
    assert.equal(client.cookies.size, 0, 'a blocked login must not start a session');
  });

  it('ignores a spoofed X-Forwarded-For: rotating it does not escape the pair block', async () => {
    const client = new Client(server.url);
    for (let i = 1; i <= 3; i++) {
      const response = await client.login('admin@example.com', WRONG, { 'X-Forwarded-For': `198.51.100.${i}` });
      assert.equal(response.status, 401);
    }
    assertTooManyAttempts(
      await client.login('admin@example.com', DEMO_PASSWORD, { 'X-Forwarded-For': '198.51.100.99' }),
    );
  });

  it('records the socket address, not a spoofed X-Forwarded-For, on the session', async () => {
    const client = new Client(server.url);
    const login = await client.login('alice@example.com', DEMO_PASSWORD, { 'X-Forwarded-For': '192.0.2.1' });
    assert.equal(login.status, 200);
    const { body } = await client.json('/session/sessions');
    assert.deepEqual(
      body.sessions.map((session: { ip: string }) => session.ip),
      ['127.0.0.1'],
    );
  });

  it('keeps a legacy bcrypt hash after a failed login and upgrades it to argon2id after a successful one', async () => {
    const users = server.deps.store.users;
    const original = await users.findByEmail('legacy@example.com');
    assert.ok(original);
    assert.ok(original.passwordHash.startsWith('$2'), original.passwordHash);

    const client = new Client(server.url);
    assert.equal((await client.login('legacy@example.com', WRONG)).status, 401);
    assert.equal((await users.findByEmail('legacy@example.com'))?.passwordHash, original.passwordHash);

    const login = await client.login('legacy@example.com', DEMO_PASSWORD);
    assert.equal(login.status, 200);
    const migrated = await users.findByEmail('legacy@example.com');
    assert.ok(migrated?.passwordHash.startsWith('$argon2id$'), migrated?.passwordHash);

    // The new hash works: the owner signs in again with the same password.
    assert.equal((await new Client(server.url).login('legacy@example.com', DEMO_PASSWORD)).status, 200);
  });
});

describe('login security behind one trusted proxy (TRUST_PROXY=1)', () => {
  let server: TestServer;
  const recorder = sleepRecorder();
  before(async () => {
    server = await startTestServer({
      env: { TRUST_PROXY: '1' },
      loginLimits: { ...SMALL_LIMITS, accountSlowdownAfter: 2, slowdownBaseMs: 100, slowdownMaxMs: 400 },
      sleep: recorder.sleep,
    });
  });
  after(() => server.stop());

  const from = (ip: string) => ({ 'X-Forwarded-For': ip });

  it('does not lock the owner out: failures from one address block that pair, alice signs in from another', async () => {
    const attacker = new Client(server.url);
    await failTimes(attacker, 'alice@example.com', 3, from('203.0.113.5'));
    assertTooManyAttempts(await attacker.login('alice@example.com', DEMO_PASSWORD, from('203.0.113.5')));

    const owner = new Client(server.url);
    const login = await owner.login('alice@example.com', DEMO_PASSWORD, from('198.51.100.7'));
    assert.equal(login.status, 200);
    assert.equal(login.body.user.email, 'alice@example.com');
  });

  it('counts only the rightmost X-Forwarded-For hop as the client address', async () => {
    const client = new Client(server.url);
    const login = await client.login('admin@example.com', DEMO_PASSWORD, from('1.2.3.4, 203.0.113.9'));
    assert.equal(login.status, 200);
    const { body } = await client.json('/session/sessions');
    assert.deepEqual(
      body.sessions.map((session: { ip: string }) => session.ip),
      ['203.0.113.9'],
    );
  });

  it('does not let a client escape the pair block by prepending addresses to X-Forwarded-For', async () => {
    const client = new Client(server.url);
    for (let i = 1; i <= 3; i++) {
      const response = await client.login('nobody@example.com', WRONG, from(`10.0.0.${i}, 203.0.113.20`));
      assert.equal(response.status, 401);
    }
    assertTooManyAttempts(await client.login('nobody@example.com', WRONG, from('10.9.9.9, 203.0.113.20')));
  });

  it('slows an attacked account down across addresses, and the owner still signs in', async () => {
    recorder.delays.length = 0;
    const attacker = new Client(server.url);
    for (let i = 1; i <= 5; i++) {
      const response = await attacker.login('bob@example.com', WRONG, from(`203.0.113.${100 + i}`));
      assert.equal(response.status, 401);
    }
    // No delay for the first two failures, then 100, 200, 400 ms (doubling, capped at 400).
    assert.deepEqual(recorder.delays, [100, 200, 400]);

    const owner = new Client(server.url);
    const login = await owner.login('bob@example.com', DEMO_PASSWORD, from('198.51.100.8'));
    assert.equal(login.status, 200);
    assert.deepEqual(recorder.delays, [100, 200, 400, 400]);
  });
});
