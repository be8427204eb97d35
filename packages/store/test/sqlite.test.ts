import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, describe, it } from 'node:test';
import { openSqliteStore } from '../src/index.ts';
import { describeStoreContract, manualClock, newFamily, oidcRecord, REFRESH_IDLE_TTL, tokenHash } from './contract.ts';

const dir = mkdtempSync(join(tmpdir(), 'authlab-sqlite-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const freshPath = () => join(dir, `db-${n++}.db`);

describeStoreContract('SQLite', async (clock) => openSqliteStore({ path: freshPath(), clock }));

describe('SQLite store', () => {
  it('keeps refresh families, spent tokens and revocations across a reopen', async () => {
    const path = freshPath();
    const clock = manualClock();
    const family = newFamily('user-1', clock.now());
    const revoked = newFamily('user-1', clock.now());
    const [first, second, third] = [tokenHash(), tokenHash(), tokenHash()];

    const original = openSqliteStore({ path, clock: clock.now });
    await original.refreshTokens.createFamily(family, first);
    await original.refreshTokens.createFamily(revoked, tokenHash());
    clock.advance(1_000);
    const rotated = await original.refreshTokens.rotate(first, second, clock.now(), REFRESH_IDLE_TTL);
    assert.equal(rotated.outcome, 'rotated');
    await original.refreshTokens.revokeFamily(revoked.id, clock.now(), 'device_revoked');
    await original.refreshTokens.setRevokedBefore('user-1', clock.now());
    await original.close();

    const reopened = openSqliteStore({ path, clock: clock.now });
    try {
      assert.deepEqual(
        await reopened.refreshTokens.getFamily(family.id),
        rotated.outcome === 'rotated' && rotated.family,
      );
      assert.equal((await reopened.refreshTokens.findFamilyByToken(first))?.id, family.id);
      assert.equal((await reopened.refreshTokens.getFamily(revoked.id))?.revokedReason, 'device_revoked');
      assert.equal(await reopened.refreshTokens.getRevokedBefore('user-1'), clock.now());
      clock.advance(1_000);
      assert.equal(
        (await reopened.refreshTokens.rotate(second, third, clock.now(), REFRESH_IDLE_TTL)).outcome,
        'rotated',
      );
      assert.equal(
        (await reopened.refreshTokens.rotate(first, tokenHash(), clock.now(), REFRESH_IDLE_TTL)).outcome,
        'reused',
      );
    } finally {
      await reopened.close();
    }
  });

  it('sweeps refresh families past their absolute expiry, together with their tokens', async (t) => {
    t.mock.timers.enable({ apis: ['setInterval'] });
    const path = freshPath();
    const clock = manualClock();
    const store = openSqliteStore({ path, clock: clock.now, sweepIntervalMs: 1_000 });
    const inspect = new DatabaseSync(path, { readOnly: true });
    const tokensOf = (familyId: string) =>
      Number(
        (inspect.prepare('SELECT count(*) AS n FROM refresh_tokens WHERE family_id = ?').get(familyId) as { n: number })
          .n,
      );
    try {
      const ending = newFamily('user-1', clock.now(), { absoluteExpiresAt: clock.now() + 10 });
      const lasting = newFamily('user-1', clock.now());
      const endingToken = tokenHash();
      await store.refreshTokens.createFamily(ending, endingToken);
      await store.refreshTokens.createFamily(lasting, tokenHash());
      await store.refreshTokens.rotate(endingToken, tokenHash(), clock.now(), REFRESH_IDLE_TTL);
      assert.equal(tokensOf(ending.id), 2);

      clock.advance(10);
      // Expired but not yet swept: a replayed token still finds its family.
      assert.equal((await store.refreshTokens.findFamilyByToken(endingToken))?.id, ending.id);
      t.mock.timers.tick(1_000);

      assert.equal(await store.refreshTokens.getFamily(ending.id), null);
      assert.equal(await store.refreshTokens.findFamilyByToken(endingToken), null);
      assert.equal(tokensOf(ending.id), 0);
      assert.equal((await store.refreshTokens.getFamily(lasting.id))?.id, lasting.id);
      assert.equal(tokensOf(lasting.id), 1);
    } finally {
      inspect.close();
      await store.close();
    }
  });

  it('keeps oidc records, their consumption and their indexes across a reopen', async () => {
    const path = freshPath();
    const clock = manualClock();
    const grant = oidcRecord(clock.now(), { payload: { accountId: 'acct-1', openid: { scope: 'openid' } } });
    const code = oidcRecord(clock.now());
    const device = oidcRecord(clock.now());
    const session = oidcRecord(clock.now(), { expiresAt: clock.now() + 10 });

    const original = openSqliteStore({ path, clock: clock.now });
    await original.oidc.upsert('Grant', 'g1', grant, { grantId: 'g1', accountId: 'acct-1' });
    await original.oidc.upsert('AuthorizationCode', 'c1', code, { grantId: 'g1' });
    await original.oidc.upsert('DeviceCode', 'd1', device, { grantId: 'g1', userCode: 'ABCD-EFGH' });
    await original.oidc.upsert('Session', 's1', session, { uid: 'u1' });
    clock.advance(1);
    const consumed = await original.oidc.consume('AuthorizationCode', 'c1', clock.now());
    assert.equal(consumed.outcome, 'consumed');
    await original.close();

    const reopened = openSqliteStore({ path, clock: clock.now });
    try {
      assert.deepEqual(await reopened.oidc.find('Grant', 'g1'), grant);
      assert.deepEqual(await reopened.oidc.consume('AuthorizationCode', 'c1', clock.now()), {
        outcome: 'already_consumed',
        record: { ...code, consumedAt: clock.now() },
      });
      assert.deepEqual(await reopened.oidc.findByUserCode('DeviceCode', 'ABCD-EFGH'), { id: 'd1', record: device });
      assert.deepEqual(await reopened.oidc.findByUid('Session', 'u1'), { id: 's1', record: session });
      assert.deepEqual(await reopened.oidc.idsOfAccount('Grant', 'acct-1'), ['g1']);
      clock.advance(9);
      assert.equal(await reopened.oidc.findByUid('Session', 'u1'), null, 'expiry still follows the clock');
      await reopened.oidc.revokeByGrantId('g1');
      assert.equal(await reopened.oidc.find('Grant', 'g1'), null);
      assert.equal(await reopened.oidc.find('AuthorizationCode', 'c1'), null);
      assert.equal(await reopened.oidc.find('DeviceCode', 'd1'), null);
    } finally {
      await reopened.close();
    }
  });

  it('sweeps oidc records past their expiry', async (t) => {
    t.mock.timers.enable({ apis: ['setInterval'] });
    const path = freshPath();
    const clock = manualClock();
    const store = openSqliteStore({ path, clock: clock.now, sweepIntervalMs: 1_000 });
    const inspect = new DatabaseSync(path, { readOnly: true });
    const rows = () =>
      (inspect.prepare('SELECT id FROM oidc_records ORDER BY id').all() as Array<{ id: string }>).map((r) => r.id);
    try {
      await store.oidc.upsert('AccessToken', 'ending', oidcRecord(clock.now(), { expiresAt: clock.now() + 10 }), {});
      await store.oidc.upsert('AccessToken', 'lasting', oidcRecord(clock.now()), {});
      clock.advance(10);
      assert.deepEqual(rows(), ['ending', 'lasting'], 'expired but not yet swept');
      t.mock.timers.tick(1_000);
      assert.deepEqual(rows(), ['lasting']);
    } finally {
      inspect.close();
      await store.close();
    }
  });
});
