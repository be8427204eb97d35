import assert from 'node:assert/strict';
import type { KeyObject } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { JWKS_MAX_AGE_SEC } from '@authlab/auth-core';
import { decodeJwt, decodeProtectedHeader, SignJWT } from 'jose';
import { assertAccessDead, assertAccessWorks, loginPair, me, refresh } from './support/jwt.ts';
import { Client, manualClock, startTestServer, type TestServer } from './support/server.ts';

/** The access-token lifetime (15 min default) plus the 60 s a retired key keeps verifying after it. */
const RETIREMENT_MS = 15 * 60_000 + 60_000;

const kidOf = (token: string) => decodeProtectedHeader(token).kid;

async function jwksKids(base: string): Promise<string[]> {
  const answer = await new Client(base).json('/.well-known/jwks.json');
  assert.equal(answer.status, 200);
  return answer.body.keys.map((key: { kid: string }) => key.kid);
}

/** Re-signs a token's claims with another key: the same token in every respect but its signer. */
function resign(token: string, key: { kid: string; privateKey: KeyObject }) {
  return new SignJWT(decodeJwt(token))
    .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: 'at+jwt' })
    .sign(key.privateKey);
}

describe('JWT signing-key rotation (sqlite)', () => {
  let server: TestServer;
  const clock = manualClock();

  before(async () => {
    server = await startTestServer({ clock });
  });

  after(async () => {
    await server?.stop();
  });

  let currentKid: string;
  let nextKid: string;
  let old: { access_token: string; refresh_token: string };
  let retiredKey: { kid: string; privateKey: KeyObject };

  it('keeps an access token valid after a rotation and publishes three keys (previous, current, next)', async () => {
    [currentKid = '', nextKid = ''] = await jwksKids(server.url);
    assert.ok(currentKid && nextKid, 'a fresh ring publishes its current and next keys');
    old = await loginPair(server.url, 'alice@example.com');
    assert.equal(kidOf(old.access_token), currentKid);
    retiredKey = server.deps.keyRing.signingKey();
    assert.equal(retiredKey.kid, currentKid);

    // The next key must have been published for the JWKS cache lifetime before it may sign (the
    // ring was written on the wall clock, a moment after this manual clock started).
    clock.advance((JWKS_MAX_AGE_SEC + 60) * 1000);
    server.deps.keyRing.rotate();

    const afterRotation = await jwksKids(server.url);
    assert.equal(afterRotation.length, 3);
    assert.equal(new Set(afterRotation).size, 3);
    assert.ok(afterRotation.includes(currentKid), 'the retired key is still published');
    assert.ok(afterRotation.includes(nextKid));
    await assertAccessWorks(server.url, old.access_token, 'alice@example.com');
  });

  it('signs new tokens (refresh and login) with the former next key', async () => {
    const rotated = await refresh(server.url, old.refresh_token);
    assert.equal(rotated.status, 200);
    assert.equal(kidOf(rotated.body.access_token), nextKid);
    const fresh = await loginPair(server.url, 'bob@example.com');
    assert.equal(kidOf(fresh.access_token), nextKid);
  });

  it('drops the old kid from the JWKS and refuses tokens it signed once the token lifetime + 60 s have passed', async () => {
    clock.advance(RETIREMENT_MS + 1);

    const retired = await jwksKids(server.url);
    assert.equal(retired.length, 2);
    assert.ok(!retired.includes(currentKid), 'the retired kid is still in the JWKS');
    assert.equal(retired[0], nextKid, 'the former next key is current');
    await assertAccessDead(server.url, old.access_token);

    // The old token has expired by now too; a token that is valid in every respect but its
    // retired signer shows the kid itself is refused.
    const live = await loginPair(server.url, 'alice@example.com');
    const byRetiredKey = await resign(live.access_token, retiredKey);
    assert.equal(kidOf(byRetiredKey), currentKid);
    const refused = await me(server.url, byRetiredKey);
    assert.equal(refused.status, 401);
    assert.equal(refused.body.error, 'invalid_token');
    // Control: the same claims signed by the current key are accepted.
    const byCurrentKey = await resign(live.access_token, server.deps.keyRing.signingKey());
    await assertAccessWorks(server.url, byCurrentKey, 'alice@example.com');
  });
});
