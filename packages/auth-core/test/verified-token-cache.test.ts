import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { jwtVerify, SignJWT } from 'jose';
import { claimsWindow, VerifiedTokenCache } from '../src/index.ts';

const ALWAYS = { notBefore: Number.NEGATIVE_INFINITY, notAfter: Number.POSITIVE_INFINITY };

describe('VerifiedTokenCache', () => {
  it('returns what was stored for a token, and nothing for another token', () => {
    const cache = new VerifiedTokenCache<string>();
    cache.set('token-a', 'claims-a', ALWAYS);
    assert.equal(cache.get('token-a', 0), 'claims-a');
    assert.equal(cache.get('token-b', 0), undefined);
  });

  it('never answers outside the window, and forgets an entry found outside it', () => {
    const cache = new VerifiedTokenCache<string>();
    cache.set('t', 'claims', { notBefore: 1_000, notAfter: 2_000 });
    assert.equal(cache.get('t', 999), undefined, 'before notBefore');
    cache.set('t', 'claims', { notBefore: 1_000, notAfter: 2_000 });
    assert.equal(cache.get('t', 1_000), 'claims', 'notBefore is inclusive');
    assert.equal(cache.get('t', 1_999), 'claims');
    assert.equal(cache.get('t', 2_000), undefined, 'notAfter is exclusive');
    assert.equal(cache.size, 0, 'the expired entry is gone');
    assert.equal(cache.get('t', 1_500), undefined, 'and stays gone even if the clock goes back');
  });

  it('does not store a token whose window is already empty', () => {
    const cache = new VerifiedTokenCache<string>();
    cache.set('t', 'claims', { notBefore: 0, notAfter: 0 });
    assert.equal(cache.size, 0);
  });

  it('holds at most maxEntries and evicts the least recently used first', () => {
    const cache = new VerifiedTokenCache<number>({ maxEntries: 3 });
    cache.set('a', 1, ALWAYS);
    cache.set('b', 2, ALWAYS);
    cache.set('c', 3, ALWAYS);
    assert.equal(cache.get('a', 0), 1, 'a is now the most recently used');
    cache.set('d', 4, ALWAYS);
    assert.equal(cache.size, 3);
    assert.equal(cache.get('b', 0), undefined, 'b was the least recently used');
    assert.equal(cache.get('a', 0), 1);
    assert.equal(cache.get('c', 0), 3);
    assert.equal(cache.get('d', 0), 4);
    for (let i = 0; i < 1_000; i++) cache.set(`flood-${i}`, i, ALWAYS);
    assert.equal(cache.size, 3, 'a flood of new tokens never grows it past the bound');
  });

  it('forgets one token on delete and all of them on clear', () => {
    const cache = new VerifiedTokenCache<number>();
    cache.set('a', 1, ALWAYS);
    cache.set('b', 2, ALWAYS);
    cache.delete('a');
    assert.equal(cache.get('a', 0), undefined);
    cache.clear();
    assert.equal(cache.size, 0);
  });

  it('refuses a bound that is not a positive integer', () => {
    assert.throws(() => new VerifiedTokenCache({ maxEntries: 0 }), RangeError);
    assert.throws(() => new VerifiedTokenCache({ maxEntries: 1.5 }), RangeError);
  });
});

describe('claimsWindow', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const TOLERANCE = 5;

  /** Whether jose accepts the token at `nowMs`, with the same options the window is computed for. */
  async function joseAccepts(token: string, nowMs: number, maxTokenAge?: number): Promise<boolean> {
    try {
      await jwtVerify(token, publicKey, {
        algorithms: ['EdDSA'],
        clockTolerance: TOLERANCE,
        currentDate: new Date(nowMs),
        ...(maxTokenAge !== undefined ? { maxTokenAge } : {}),
      });
      return true;
    } catch {
      return false;
    }
  }

  async function sign(claims: Record<string, number>): Promise<string> {
    return new SignJWT({ ...claims, sub: 'u' }).setProtectedHeader({ alg: 'EdDSA' }).sign(privateKey);
  }

  it('agrees with jose at every instant around exp, nbf and the maximum age', async () => {
    const iat = 1_800_000_000;
    const cases: Array<{ claims: Record<string, number>; maxTokenAge: number | undefined }> = [
      { claims: { iat, exp: iat + 900 }, maxTokenAge: undefined },
      { claims: { iat, exp: iat + 900 }, maxTokenAge: 905 },
      { claims: { iat, exp: iat + 3_600 }, maxTokenAge: 600 }, // the age check ends it before exp
      { claims: { iat, nbf: iat + 60, exp: iat + 900 }, maxTokenAge: undefined },
    ];
    for (const { claims, maxTokenAge } of cases) {
      const token = await sign(claims);
      const window = claimsWindow(claims, {
        toleranceSec: TOLERANCE,
        ...(maxTokenAge !== undefined ? { maxTokenAgeSec: maxTokenAge } : {}),
      });
      const instants: number[] = [];
      for (const edge of [iat, iat + 60, iat + 600, iat + 900, iat + 905, iat + 906, iat + 3_600]) {
        for (let ms = (edge - 8) * 1000; ms <= (edge + 8) * 1000; ms += 250) instants.push(ms);
      }
      for (const now of instants) {
        const inWindow = now >= window.notBefore && now < window.notAfter;
        assert.equal(
          inWindow,
          await joseAccepts(token, now, maxTokenAge),
          `${JSON.stringify(claims)} maxTokenAge ${maxTokenAge} at ${new Date(now).toISOString()}`,
        );
      }
    }
  });

  it('is empty for a maximum age without iat, as jose refuses such a token', () => {
    const window = claimsWindow({ exp: 2_000_000_000 }, { toleranceSec: 5, maxTokenAgeSec: 900 });
    assert.ok(!(window.notAfter > window.notBefore));
  });

  it('has no end for a token without exp (the caller requires exp before caching anything)', () => {
    assert.equal(claimsWindow({}, { toleranceSec: 5 }).notAfter, Number.POSITIVE_INFINITY);
  });
});
