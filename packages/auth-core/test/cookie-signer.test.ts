import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { CookieSigner } from '../src/index.ts';

/** Keygrip's own signing code (keygrip/index.js), so cookies it signed keep verifying. */
const keygripSign = (data: string, key: string) =>
  createHmac('sha1', key)
    .update(data)
    .digest('base64')
    .replace(/\/|\+|=/g, (x) => ({ '/': '_', '+': '-', '=': '' })[x] ?? x);

const newKey = () => randomBytes(32).toString('base64url');

describe('CookieSigner', () => {
  it('signs exactly as Keygrip does, with the first key', () => {
    const [current, previous] = [newKey(), newKey()];
    const signer = new CookieSigner([current, previous]);
    for (const data of ['authlab.sid=abc', `__Host-authlab.sid=${newKey()}`, 'ünïcødé=✓', '']) {
      assert.equal(signer.sign(data), keygripSign(data, current));
    }
  });

  it('tells which key signed a value: 0 for the current one, 1 for an older one, -1 for none', () => {
    const [current, previous, unknown] = [newKey(), newKey(), newKey()];
    const signer = new CookieSigner([current, previous]);
    const data = 'authlab.sid=some-session-id';
    assert.equal(signer.index(data, keygripSign(data, current)), 0);
    assert.equal(signer.index(data, keygripSign(data, previous)), 1, 'the caller re-signs with the current key');
    assert.equal(signer.index(data, keygripSign(data, unknown)), -1);
    assert.equal(signer.verify(data, keygripSign(data, previous)), true);
    assert.equal(signer.verify(data, keygripSign(data, unknown)), false);
  });

  it('refuses a signature of another value, a truncated or padded one, and a non-string', () => {
    const key = newKey();
    const signer = new CookieSigner([key]);
    const data = 'authlab.sid=victim';
    const good = keygripSign(data, key);
    assert.equal(signer.verify('authlab.sid=attacker', good), false);
    assert.equal(signer.verify(data, good.slice(0, -1)), false);
    assert.equal(signer.verify(data, `${good}=`), false);
    assert.equal(signer.verify(data, ''), false);
    assert.equal(signer.verify(data, 'x'.repeat(10_000)), false);
    assert.equal(signer.index(data, undefined as unknown as string), -1);
  });

  it('answers a pair it has verified before the same way, and still refuses every other pair', () => {
    const [current, previous] = [newKey(), newKey()];
    const signer = new CookieSigner([current, previous], { maxVerified: 2 });
    const data = 'authlab.sid=remembered';
    const good = keygripSign(data, current);
    const old = keygripSign('authlab.sid=older', previous);
    for (let round = 0; round < 3; round++) {
      assert.equal(signer.index(data, good), 0);
      assert.equal(signer.index('authlab.sid=older', old), 1, 'still tells the caller to re-sign');
      // The same digest with another value, a digest one character off, and the swapped pair.
      assert.equal(signer.index('authlab.sid=remembereD', good), -1);
      assert.equal(signer.index(data, `${good.slice(0, -1)}${good.endsWith('A') ? 'B' : 'A'}`), -1);
      assert.equal(signer.index(data, old), -1);
      assert.equal(signer.index(`${good}${data}`.slice(0, 27), `${good}${data}`.slice(27)), -1);
    }
    // Bounded: more good pairs than it keeps, every one still verifies and no bad one does.
    const pairs = Array.from({ length: 5 }, (_, i) => [`authlab.sid=v${i}`, keygripSign(`authlab.sid=v${i}`, current)]);
    for (let round = 0; round < 2; round++) {
      for (const [value, digest] of pairs) {
        assert.equal(signer.index(value as string, digest as string), 0);
        assert.equal(signer.index(value as string, keygripSign(value as string, newKey())), -1);
      }
    }
  });

  it('does not share what it verified with a signer of other keys', () => {
    const data = 'authlab.sid=shared';
    const key = newKey();
    const signer = new CookieSigner([key]);
    assert.equal(signer.index(data, keygripSign(data, key)), 0);
    assert.equal(new CookieSigner([newKey()]).index(data, keygripSign(data, key)), -1);
  });

  it('needs at least one key', () => {
    assert.throws(() => new CookieSigner([]), /at least one/);
  });
});
