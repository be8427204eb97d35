import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, beforeEach, describe, it } from 'node:test';
import { openSqliteStore, type Store, type User } from '@authlab/store';
import { AccessTokens, AuthError, KeyRing, newKeyRingFile, TokenService, writeKeyRingFile } from '../src/index.ts';

const ISSUER = 'http://127.0.0.1:4000';
const TTL_SEC = 900;
const TOLERANCE_SEC = 5;

const dir = mkdtempSync(join(tmpdir(), 'authlab-token-cache-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function manualClock(start = Date.UTC(2026, 0, 1)) {
  let now = start;
  const clock = () => now;
  clock.advance = (ms: number) => {
    now += ms;
  };
  return clock;
}

async function assertInvalidToken(promise: Promise<unknown>, message: string): Promise<void> {
  await assert.rejects(
    promise,
    (error: unknown) => error instanceof AuthError && error.code === 'invalid_token',
    message,
  );
}

describe('AccessTokens with the verified-token cache', () => {
  let clock: ReturnType<typeof manualClock>;
  let ringFile: string;
  let ring: KeyRing;
  let tokens: AccessTokens;
  let runs = 0;

  beforeEach(() => {
    clock = manualClock();
    ringFile = join(dir, `ring-${++runs}.json`);
    writeKeyRingFile(ringFile, newKeyRingFile(clock()));
    ring = KeyRing.open({ file: ringFile, clock, retireAfterMs: (TTL_SEC + 60) * 1000 });
    tokens = new AccessTokens(ring, { issuer: ISSUER, audience: `${ISSUER}/api`, ttlSec: TTL_SEC }, clock);
  });

  const issue = async () => (await tokens.issue({ sub: 'user-1', role: 'user', sid: 'family-1' })).token;

  it('serves a repeat token from the cache: the very claims object of the first verification', async () => {
    const token = await issue();
    const first = await tokens.verify(token);
    const second = await tokens.verify(token);
    assert.equal(second, first, 'a second signature check would have produced a new object');
    assert.ok(Object.isFrozen(first), 'shared between requests, so nobody may change it');
  });

  it('verifies every time when the cache is turned off', async () => {
    const uncached = new AccessTokens(
      ring,
      { issuer: ISSUER, audience: `${ISSUER}/api`, ttlSec: TTL_SEC, verifiedCacheSize: 0 },
      clock,
    );
    const token = (await uncached.issue({ sub: 'user-1', role: 'user', sid: 'family-1' })).token;
    assert.notEqual(await uncached.verify(token), await uncached.verify(token));
  });

  it('refuses a cached token as soon as the injected clock passes exp plus the tolerance', async () => {
    const token = await issue();
    await tokens.verify(token);
    await tokens.verify(token);
    clock.advance((TTL_SEC + TOLERANCE_SEC) * 1000 - 1);
    await tokens.verify(token); // the last millisecond jose itself would accept
    clock.advance(1);
    await assertInvalidToken(tokens.verify(token), 'an expired token must not live on in the cache');
  });

  it('refuses a cached token once its key is no longer in the ring (a new ring replaced the file)', async () => {
    const token = await issue();
    await tokens.verify(token);
    writeKeyRingFile(ringFile, newKeyRingFile(clock()));
    clock.advance(5_000); // the ring re-reads its file at most every 5 s
    await assertInvalidToken(tokens.verify(token), 'the cache must not outlive the key that signed the token');
  });

  it('does not cache a token that failed verification', async () => {
    const token = await issue();
    const [header, payload] = token.split('.');
    const forged = `${header}.${payload}.${'A'.repeat(86)}`;
    await assertInvalidToken(tokens.verify(forged), 'a bad signature');
    await assertInvalidToken(tokens.verify(forged), 'still bad the second time');
  });
});

describe('TokenService.authenticate with the cache warm', () => {
  let clock: ReturnType<typeof manualClock>;
  let store: Store;
  let service: TokenService;
  let alice: User;

  beforeEach(async () => {
    clock = manualClock();
    store = openSqliteStore({ path: ':memory:', clock });
    const ringFile = join(dir, `service-ring-${Math.random().toString(36).slice(2)}.json`);
    writeKeyRingFile(ringFile, newKeyRingFile(clock()));
    const ring = KeyRing.open({ file: ringFile, clock, retireAfterMs: (TTL_SEC + 60) * 1000 });
    service = new TokenService({
      users: store.users,
      refreshTokens: store.refreshTokens,
      credentialChecks: store.credentialChecks,
      accessTokens: new AccessTokens(ring, { issuer: ISSUER, audience: `${ISSUER}/api`, ttlSec: TTL_SEC }, clock),
      clock,
      refreshIdleTtlMs: 7 * 86_400_000,
      refreshAbsoluteTtlMs: 30 * 86_400_000,
      refreshReuseGraceMs: 30_000,
    });
    alice = await store.users.create({ email: 'alice@example.com', role: 'user', passwordHash: 'x' });
  });

  /** Signs in and authenticates twice, so the token is in the cache (the second answer is the cached one). */
  async function warmToken() {
    const pair = await service.login(alice, { name: 'laptop', userAgent: 'test', ip: '127.0.0.1' });
    const first = await service.authenticate(pair.access_token);
    const second = await service.authenticate(pair.access_token);
    assert.equal(second.claims, first.claims, 'the cache is warm');
    return pair;
  }

  it('refuses at once after logout (the family is revoked)', async () => {
    const pair = await warmToken();
    await service.logout(pair.refresh_token);
    await assertInvalidToken(service.authenticate(pair.access_token), 'logout must end the cached token');
  });

  it('refuses at once after logout-all (revoked-before, without revoking the family)', async () => {
    const pair = await warmToken();
    clock.advance(1_000); // the time is in whole seconds: a token issued in this second is revoked too
    await store.refreshTokens.setRevokedBefore(alice.id, clock());
    await assertInvalidToken(service.authenticate(pair.access_token), 'revoked-before must apply to a cached token');
  });

  it('refuses at once when the account is disabled', async () => {
    const pair = await warmToken();
    await store.users.setDisabled(alice.id, true);
    await assertInvalidToken(service.authenticate(pair.access_token), 'a disabled account must not keep working');
  });

  it('refuses at once when the device is revoked', async () => {
    const pair = await warmToken();
    const { claims } = await service.authenticate(pair.access_token);
    assert.equal(await service.revokeFamily(alice.id, claims.sid, 'device_revoked'), true);
    await assertInvalidToken(service.authenticate(pair.access_token), 'a revoked device must end its cached token');
  });

  it('refuses at once when the access token expires on the injected clock', async () => {
    const pair = await warmToken();
    clock.advance((TTL_SEC + TOLERANCE_SEC) * 1000);
    await assertInvalidToken(service.authenticate(pair.access_token), 'expiry must apply to a cached token');
  });
});

describe('AccessTokens.namesRingKey', () => {
  it("tells a token of its ring from another ring's, a malformed one and an oversized one, by the header alone", async () => {
    const clock = manualClock();
    const ringOf = (name: string) => {
      const file = join(dir, `${name}-${Math.random().toString(36).slice(2)}.json`);
      writeKeyRingFile(file, newKeyRingFile(clock()));
      return KeyRing.open({ file, clock, retireAfterMs: (TTL_SEC + 60) * 1000 });
    };
    const settings = { issuer: ISSUER, audience: `${ISSUER}/api`, ttlSec: TTL_SEC };
    const ours = new AccessTokens(ringOf('ours'), settings, clock);
    const theirs = new AccessTokens(ringOf('theirs'), settings, clock);
    const subject = { sub: 'user-1', role: 'user', sid: 'family-1' };
    const own = (await ours.issue(subject)).token;
    const other = (await theirs.issue(subject)).token;

    assert.equal(ours.namesRingKey(own), true);
    assert.equal(ours.namesRingKey(other), false);
    await assertInvalidToken(ours.verify(other), 'verify refuses what namesRingKey turns away');
    for (const bad of [
      '',
      'abc',
      '.x.y',
      '!!!.x.y',
      `${Buffer.from('null').toString('base64url')}.x.y`,
      `${own}${'A'.repeat(5000)}`,
    ]) {
      assert.equal(ours.namesRingKey(bad), false, bad.slice(0, 20));
    }
  });
});
