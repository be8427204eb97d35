import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AUTH_ERROR_STATUS, AuthError, type AuthErrorCode, invalidCredentials, tooManyAttempts } from '../src/index.ts';

describe('auth-core error codes', () => {
  it('are a closed set, each with one HTTP status', () => {
    assert.deepEqual(Object.keys(AUTH_ERROR_STATUS).sort(), [
      'invalid_credentials',
      'invalid_grant',
      'invalid_token',
      'password_too_long',
      'too_many_attempts',
      'weak_password',
    ]);
    for (const [code, status] of Object.entries(AUTH_ERROR_STATUS)) {
      assert.equal(new AuthError(code as AuthErrorCode, status).status, status, code);
    }
  });

  it('refuse a status other than the one the table gives the code', () => {
    assert.throws(() => new AuthError('invalid_credentials', 400), TypeError);
    assert.throws(() => new AuthError('too_many_attempts', 401), TypeError);
  });

  it('build the login answers from the table', () => {
    assert.equal(invalidCredentials().status, 401);
    const limited = tooManyAttempts(30);
    assert.deepEqual([limited.code, limited.status, limited.retryAfterSec], ['too_many_attempts', 429, 30]);
  });
});
