/**
 * Hostile input aimed at the parsers: prototype-pollution keys and nesting 10 000 levels deep.
 *
 * `__proto__`, `constructor` and `prototype` in JSON bodies, form bodies and query strings are
 * refused (4xx) and never reach `Object.prototype`: the server runs in this process, so
 * `({}).polluted` is checked right here. Deeply nested JSON and forms are a 400 or 413, never a
 * stack overflow or a 5xx, and the server keeps serving. CWE-1321 (prototype pollution),
 * CWE-674 (uncontrolled recursion), ASVS V5.1.2 (mass assignment), V5.5 (deserialisation).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { OPEN_LOGIN_LIMITS } from '@authlab/auth-core';
import fc from 'fast-check';
import { type Answer, assertJsonClientError, runs, send } from './support/hostile.ts';
import { pkcePair } from './support/oidc.ts';
import { Client, DEMO_PASSWORD, startTestServer, type TestServer } from './support/server.ts';

const POLLUTION_KEYS = ['__proto__', 'constructor', 'prototype'] as const;
/** Names a polluted prototype would answer for: the marker, and members the code relies on. */
const TARGETS = ['polluted', 'isAdmin', 'role', 'toString', 'valueOf', 'hasOwnProperty', 'then'] as const;

const prototypeNames = () =>
  [Object.prototype, Array.prototype, Function.prototype, String.prototype].map((p) =>
    Object.getOwnPropertyNames(p).sort().join(','),
  );

/** Nothing reached a shared prototype, in this process (which is the server's). */
function assertNotPolluted(before: string[], context: string): void {
  const probe: Record<string, unknown> = {};
  assert.equal(probe.polluted, undefined, `${context}: ({}).polluted is set`);
  assert.equal(probe.isAdmin, undefined, `${context}: ({}).isAdmin is set`);
  assert.equal(([] as unknown as Record<string, unknown>).polluted, undefined, `${context}: [].polluted is set`);
  assert.equal(typeof probe.toString, 'function', `${context}: toString was replaced`);
  assert.deepEqual(prototypeNames(), before, `${context}: a shared prototype gained or lost a member`);
}

/** JSON text with pollution keys at any depth (built as text: JSON.stringify would drop `__proto__`). */
const pollutedJson: fc.Arbitrary<string> = fc.letrec<{ node: string }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom('"yes"', 'true', '1', 'null', '{"polluted":"yes"}', '["yes"]'),
    fc
      .array(
        fc.tuple(fc.oneof(fc.constantFrom(...POLLUTION_KEYS), fc.constantFrom(...TARGETS), fc.string()), tie('node')),
        { maxLength: 4 },
      )
      .map((entries) => `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`),
  ),
})).node;

/** A pollution key at the top level, plus fields of the endpoint, plus anything nested. */
function pollutedBody(fields: Record<string, string>): fc.Arbitrary<string> {
  return fc
    .tuple(fc.constantFrom(...POLLUTION_KEYS), pollutedJson, fc.boolean(), fc.constantFrom(...TARGETS))
    .map(([key, nested, before, target]) => {
      const own = Object.entries(fields).map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`);
      const attack =
        key === 'constructor'
          ? `"constructor":{"prototype":{"${target}":${nested}}}`
          : `${JSON.stringify(key)}:{"${target}":${nested}}`;
      return `{${(before ? [attack, ...own] : [...own, attack]).join(',')}}`;
    });
}

/** Form / query keys in the bracket syntax `qs` understands, aimed at a prototype. */
const pollutedFormKey = fc
  .tuple(
    fc.constantFrom(
      '__proto__[X]',
      'constructor[prototype][X]',
      '__proto__.X',
      'prototype[X]',
      'a[__proto__][X]',
      'a[constructor][prototype][X]',
      '__proto__[X][]',
    ),
    fc.constantFrom(...TARGETS),
  )
  .map(([shape, target]) => shape.replace('X', target));

describe('prototype-pollution keys and deep nesting', () => {
  let server: TestServer;
  let cookie: string;
  let before_: string[];

  before(async () => {
    server = await startTestServer({ loginLimits: OPEN_LOGIN_LIMITS });
    const browser = new Client(server.url);
    assert.equal((await browser.login('bob@example.com')).status, 200);
    cookie = browser.cookieHeader();
    before_ = prototypeNames();
  });

  after(async () => {
    assert.doesNotMatch(server.logs(), /"msg":"request failed"/);
    await server.stop();
  });

  const postJson = (path: string, text: string, headers: Record<string, string> = {}) =>
    send(server.url, path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: text });
  const postForm = (path: string, text: string, headers: Record<string, string> = {}) =>
    send(server.url, path, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: text,
    });

  it('refuses pollution keys in JSON bodies with a 4xx and leaves every prototype untouched', async () => {
    const cases = fc.oneof(
      pollutedBody({ email: 'alice@example.com', password: DEMO_PASSWORD }).map((t) => ['/session/login', t] as const),
      pollutedBody({ email: 'alice@example.com', password: DEMO_PASSWORD }).map((t) => ['/jwt/login', t] as const),
      pollutedBody({ refresh_token: 'x'.repeat(43) }).map((t) => ['/jwt/refresh', t] as const),
      pollutedBody({ refresh_token: 'x'.repeat(43) }).map((t) => ['/jwt/logout', t] as const),
      pollutedBody({ text: 'a note' }).map((t) => ['/api/notes', t] as const),
    );
    await fc.assert(
      fc.asyncProperty(cases, async ([path, text]) => {
        const answer = await postJson(path, text, { cookie });
        assertJsonClientError(answer, `POST ${path} ${text.slice(0, 200)}`);
        assertNotPolluted(before_, `POST ${path} ${text.slice(0, 200)}`);
      }),
      runs(200),
    );
    // The right password with a pollution key is still a refusal: no field sneaks past the schema.
    const sneaky = await postJson(
      '/jwt/login',
      `{"email":"alice@example.com","password":"${DEMO_PASSWORD}","__proto__":{"role":"admin"}}`,
    );
    assert.equal(sneaky.status, 400);
    assert.equal(sneaky.json.error, 'invalid_request');
    assert.equal(sneaky.json.access_token, undefined);
  });

  it('refuses requests with pollution keys in form bodies and query strings (4xx, or an error redirect from /oidc/auth) and leaves every prototype untouched', async () => {
    const { challenge } = pkcePair();
    const authQuery = new URLSearchParams({
      client_id: 'authlab-desktop',
      response_type: 'code',
      redirect_uri: 'http://127.0.0.1:53682/callback',
      scope: 'openid',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    });
    /** Every place a pollution key can ride in on, as [what, send it]. */
    const carriers = (key: string, value: string): Array<[string, () => Promise<Answer>]> => {
      const pair = `${encodeURIComponent(key)}=${encodeURIComponent(value)}`;
      const raw = `${key}=${value}`; // unencoded brackets too: qs reads both
      return [
        [
          `form /jwt/login ${raw}`,
          () => postForm('/jwt/login', `${pair}&email=alice%40example.com&password=wrong-password`),
        ],
        [
          `form /jwt/login ${raw} (raw)`,
          () => postForm('/jwt/login', `${raw}&email=alice@example.com&password=wrong-password`),
        ],
        [`form /jwt/refresh ${raw}`, () => postForm('/jwt/refresh', `${pair}&refresh_token=${'x'.repeat(43)}`)],
        [`form /api/notes ${raw}`, () => postForm('/api/notes', `${pair}&text=a%20note&extra=1`, { cookie })],
        [
          `form /oidc/token ${raw}`,
          () => postForm('/oidc/token', `${pair}&grant_type=refresh_token&client_id=authlab-desktop&refresh_token=x`),
        ],
        [`query /api/me ${raw}`, () => send(server.url, `/api/me?${pair}`)],
        [`query /session/me ${raw}`, () => send(server.url, `/session/me?${raw}`)],
        [`query /jwt/refresh ${raw}`, () => send(server.url, `/jwt/refresh?${pair}`, { method: 'POST' })],
        // A valid authorization request but for a doubled parameter: the provider's own query
        // parsing, answered with an error redirect to the registered client.
        [`query /oidc/auth ${raw}`, () => send(server.url, `/oidc/auth?${authQuery}&${pair}&scope=twice`)],
      ];
    };
    const requests = fc
      .tuple(pollutedFormKey, fc.constantFrom('yes', '1', 'true', ''), fc.nat({ max: 8 }))
      .map(([key, value, index]) => carriers(key, value)[index] as [string, () => Promise<Answer>]);
    await fc.assert(
      fc.asyncProperty(requests, async ([context, call]) => {
        const answer = await call();
        if (context.startsWith('query /oidc/auth')) {
          // The client and its redirect URI are registered, so the error goes back to it.
          assert.equal(answer.status, 303, `${context}: ${answer.status}`);
          assert.match(
            answer.headers.get('location') ?? '',
            /^http:\/\/127\.0\.0\.1:53682\/callback\?error=invalid_request&/,
          );
          assertNotPolluted(before_, context);
          return;
        }
        assert.ok(
          answer.status >= 400 && answer.status < 500,
          `${context}: ${answer.status} ${answer.text.slice(0, 200)}`,
        );
        assertNotPolluted(before_, context);
      }),
      runs(150),
    );
  });

  it('answers JSON nested 10 000 levels deep with 400 (and 100 000 levels with 413), and keeps serving', async () => {
    const depth = 10_000;
    const bodies = {
      arrays: `${'['.repeat(depth)}${']'.repeat(depth)}`,
      objects: `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`,
      'a field': `{"text":${'['.repeat(depth)}"x"${']'.repeat(depth)}}`,
      'a pollution key': `{"__proto__":{"polluted":${'['.repeat(depth)}1${']'.repeat(depth)}}}`,
    };
    for (const path of ['/session/login', '/jwt/login', '/jwt/refresh', '/jwt/logout', '/api/notes']) {
      for (const [shape, text] of Object.entries(bodies)) {
        const answer = await postJson(path, text, { cookie });
        assertJsonClientError(answer, `${path} ${shape}`);
        assert.equal(answer.status, 400, `${path} ${shape}: ${answer.status}`);
      }
      const huge = await postJson(path, `${'['.repeat(100_000)}${']'.repeat(100_000)}`, { cookie });
      assert.equal(huge.status, 413, `${path}: 100 000 levels answered ${huge.status}`);
    }
    assertNotPolluted(before_, 'deep JSON');
    const login = await new Client(server.url).login();
    assert.equal(login.status, 200, 'the server still signs people in');
  });

  it('answers forms and queries nested 10 000 levels deep with a 4xx, and keeps serving', async () => {
    const depth = 10_000;
    const deepKey = `a${'[a]'.repeat(depth)}`; // 30 KB: under the 64 KiB body limit
    const form = `${deepKey}=1&email=alice%40example.com&password=wrong-password`;
    for (const path of ['/jwt/login', '/jwt/refresh', '/api/notes', '/oidc/token']) {
      const answer = await postForm(path, form, { cookie });
      assertJsonClientError(answer, `form ${path}`);
    }
    // In a query the request line caps it: 3 000 levels (9 KB) fit under Node's 16 KiB limit.
    const deepQuery = `a${'[a]'.repeat(3_000)}=1`;
    for (const path of ['/api/me', '/session/me', '/oidc/auth']) {
      const answer = await send(server.url, `${path}?${deepQuery}`);
      assert.ok(answer.status >= 400 && answer.status < 500, `query ${path}: ${answer.status}`);
    }
    const tooLong = await send(server.url, `/api/me?a${'[a]'.repeat(depth)}=1`);
    assert.equal(tooLong.status, 431, 'a 30 KB query is refused before it is parsed');
    assertNotPolluted(before_, 'deep forms');
    assert.equal((await new Client(server.url).json('/healthz')).status, 200);
  });
});
