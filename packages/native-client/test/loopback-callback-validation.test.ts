import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, it } from 'node:test';
import type * as client from 'openid-client';
import { checkAuthorizationResponse, classifyRequest, isStartSecret } from '../src/loopback/callback-validation.ts';
import { NativeAuthError } from '../src/types.ts';

// The browser-driven cases are in loopback-authorizer.test.ts; these pin the checks on their own.

const HOST = '127.0.0.1:53123';
const request = (url: string, headers: Record<string, string> = {}, method = 'GET') =>
  ({ method, url, headers: { host: HOST, ...headers } }) as unknown as IncomingMessage;

describe('classifyRequest', () => {
  it('gives the callback its query string, and knows the result page', () => {
    const callback = classifyRequest(request('/callback?code=c&state=s'), HOST);
    assert.equal(callback.route, 'callback');
    assert.equal(callback.route === 'callback' && callback.params.toString(), 'code=c&state=s');
    assert.deepEqual(classifyRequest(request('/done?ok=1'), HOST), { route: 'result' });
  });

  it('gives the start link its secret, and only without a query; the secret compares exactly', () => {
    assert.deepEqual(classifyRequest(request('/start/abc_-9'), HOST), { route: 'start', secret: 'abc_-9' });
    assert.deepEqual(classifyRequest(request('/start/abc?x=1'), HOST), { route: 'other' });
    assert.deepEqual(classifyRequest(request('/start/abc', { host: 'evil.example:53123' }), HOST), { route: 'other' });
    assert.equal(isStartSecret('abc', 'abc'), true);
    for (const wrong of ['abd', 'ab', 'abcd', '']) assert.equal(isStartSecret(wrong, 'abc'), false, wrong);
  });

  it('sends everything else to other: another path, method or Host, or a request that is not a navigation', () => {
    for (const other of [
      request('/'),
      request('/callback/'),
      request('/callback', {}, 'POST'),
      request('/callback', { host: 'evil.example:53123' }),
      request('/callback', { host: 'localhost:53123' }),
      request('/callback', { 'sec-fetch-mode': 'no-cors' }),
      request('/done', { 'sec-fetch-dest': 'iframe' }),
    ]) {
      assert.deepEqual(classifyRequest(other, HOST), { route: 'other' }, `${other.method} ${other.url}`);
    }
  });
});

describe('checkAuthorizationResponse', () => {
  const metadata = (issPromised: boolean) =>
    ({
      issuer: 'http://127.0.0.1:4000/oidc',
      authorization_response_iss_parameter_supported: issPromised,
    }) as client.ServerMetadata;
  const check = (query: string, issPromised = true) =>
    checkAuthorizationResponse(new URLSearchParams(query), { state: 'the-state', metadata: metadata(issPromised) });
  const iss = `iss=${encodeURIComponent('http://127.0.0.1:4000/oidc')}`;
  const code = (expected: string, pattern?: RegExp) => (error: unknown) => {
    assert.ok(error instanceof NativeAuthError, String(error));
    assert.equal(error.code, expected, error.message);
    if (pattern) assert.match(error.message, pattern);
    return true;
  };

  it('accepts the expected state and iss with a code', () => {
    check(`code=c&state=the-state&${iss}`);
    check('code=c&state=the-state', false); // no iss from a provider that does not promise one
  });

  it('refuses a repeated parameter, a foreign or missing state, a wrong or missing iss, and no code', () => {
    assert.throws(() => check(`code=c&state=the-state&state=the-state&${iss}`), code('invalid_response', /"state"/));
    assert.throws(() => check(`code=c&code=d&state=the-state&${iss}`), code('invalid_response', /"code"/));
    assert.throws(() => check(`code=c&state=other&${iss}`), code('state_mismatch'));
    assert.throws(() => check(`code=c&${iss}`), code('state_mismatch'));
    assert.throws(() => check('code=c&state=the-state&iss=http://evil.example'), code('iss_mismatch', /evil/));
    assert.throws(() => check('code=c&state=the-state'), code('iss_mismatch', /\(none\)/));
    assert.throws(() => check(`state=the-state&${iss}`), code('invalid_response', /no code/));
  });

  it("checks state and iss before it believes the provider's error, whose code it keeps only when plain", () => {
    assert.throws(() => check('error=access_denied&state=other'), code('state_mismatch'));
    assert.throws(
      () => check(`error=access_denied&error_description=no%20thanks&state=the-state&${iss}`),
      code('access_denied', /access_denied: no thanks/),
    );
    assert.throws(() => check(`error=%3Cscript%3E&state=the-state&${iss}`), code('authorization_error'));
  });
});
