import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { openSuccessor, sealSuccessor } from '../src/jwt/successor-seal.ts';
import { hashRefreshToken } from '../src/jwt/token-service.ts';

const newToken = () => randomBytes(32).toString('base64url');

describe('sealing a refresh token successor for the reuse grace window', () => {
  it('opens with the token it was sealed for, and holds the successor in no readable form', () => {
    const old = newToken();
    const successor = newToken();
    const sealed = sealSuccessor(old, successor);
    assert.equal(openSuccessor(old, sealed), successor);
    assert.ok(!sealed.includes(successor));
    assert.notEqual(sealSuccessor(old, successor), sealed, 'a fresh IV for every seal');
  });

  it('opens nothing for another token, for the stored hash of the right one, or once altered', () => {
    const old = newToken();
    const sealed = sealSuccessor(old, newToken());
    assert.equal(openSuccessor(newToken(), sealed), null);
    // What a database copy holds (the token's SHA-256) is not the key.
    assert.equal(openSuccessor(hashRefreshToken(old), sealed), null);
    const bytes = Buffer.from(sealed, 'base64url');
    bytes[20] = (bytes[20] ?? 0) ^ 1;
    assert.equal(openSuccessor(old, bytes.toString('base64url')), null);
    assert.equal(openSuccessor(old, ''), null);
    assert.equal(openSuccessor(old, 'not-a-seal'), null);
  });
});
