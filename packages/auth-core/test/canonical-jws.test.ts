import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isCanonicalCompactJws } from '../src/index.ts';

const part = (bytes: number[]) => Buffer.from(bytes).toString('base64url');
// 1, 2 and 3 bytes: a last character with 4 unused bits, 2 unused bits, and none.
const token = [part([0xfb]), part([0xff, 0xfe]), part([0x01, 0x02, 0x03])].join('.');

describe('isCanonicalCompactJws', () => {
  it('accepts three unpadded base64url parts that re-encode to themselves', () => {
    assert.equal(token, '-w.__4.AQID');
    assert.equal(isCanonicalCompactJws(token), true);
  });

  it('refuses other spellings of the same bytes and anything that is not three base64url parts', () => {
    for (const [what, spelling] of [
      ['padding', '-w==.__4.AQID'],
      ['one unused bit set (4 unused)', '-x.__4.AQID'],
      ['one unused bit set (2 unused)', '-w.__5.AQID'],
      ['the base64 alphabet instead of base64url', '+w.//4.AQID'],
      ['a part of impossible length', '-w.__4.AQIDA'],
      ['an empty part', '-w..AQID'],
      ['two parts', '-w.__4'],
      ['four parts', '-w.__4.AQID.AQID'],
      ['whitespace', '-w.__4.AQ ID'],
    ] as const) {
      assert.equal(isCanonicalCompactJws(spelling), false, what);
    }
  });
});
