import assert from 'node:assert/strict';
import { createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
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

  it('cannot be opened with any key a database copy yields (the wrong fix: a key made from the stored hash)', () => {
    const old = newToken();
    const sealed = Buffer.from(sealSuccessor(old, newToken()), 'base64url');
    const storedHash = Buffer.from(hashRefreshToken(old), 'base64url');
    const candidates = [
      storedHash, // AES key = SHA-256(token): exactly what the database holds
      Buffer.from(hkdfSync('sha256', storedHash, '', 'authlab refresh-token successor v1', 32)),
      Buffer.from(hkdfSync('sha256', hashRefreshToken(old), '', 'authlab refresh-token successor v1', 32)),
    ];
    for (const key of candidates) {
      const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, 12));
      decipher.setAuthTag(sealed.subarray(sealed.length - 16));
      decipher.update(sealed.subarray(12, sealed.length - 16));
      assert.throws(() => decipher.final(), 'the GCM tag must not verify under a key derived from the hash');
    }
  });
});
