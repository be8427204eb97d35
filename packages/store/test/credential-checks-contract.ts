import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import type { Store } from '../src/index.ts';
import { newFamily, oidcRecord, tokenHash } from './contract.ts';

/**
 * `Store.credentialChecks` (the per-request reads of a Bearer call), run inside the store
 * contract (so on SQLite and on Redis) with the contract's fresh store and clock. Each answer
 * must be the state at the instant of the read: nothing it returns may be remembered.
 */
export function describeCredentialChecksContract(
  current: () => Store,
  now: () => number,
  advance: (ms: number) => void,
): void {
  describe('credential checks', () => {
    const checks = () => current().credentialChecks;
    const newUser = (email: string) => current().users.create({ email, role: 'user', passwordHash: '$argon2id$fake' });

    it("reads an access token's family, the user's revoked-before mark and the account as they are now", async () => {
      const alice = await newUser('alice@example.com');
      const family = newFamily(alice.id, now());
      await current().refreshTokens.createFamily(family, tokenHash());
      assert.deepEqual(await checks().accessToken(family.id, alice.id), {
        user: alice,
        family: { userId: alice.id, revokedAt: null },
        revokedBefore: 0,
      });

      await current().refreshTokens.revokeFamily(family.id, now(), 'logout');
      await current().refreshTokens.setRevokedBefore(alice.id, now() + 1_000);
      await current().users.setDisabled(alice.id, true);
      assert.deepEqual(await checks().accessToken(family.id, alice.id), {
        user: { ...alice, disabled: true },
        family: { userId: alice.id, revokedAt: now() },
        revokedBefore: now() + 1_000,
      });
    });

    it("names the family's real owner, and answers no family for an unknown one", async () => {
      const alice = await newUser('alice@example.com');
      const bob = await newUser('bob@example.com');
      const bobs = newFamily(bob.id, now());
      await current().refreshTokens.createFamily(bobs, tokenHash());
      assert.deepEqual((await checks().accessToken(bobs.id, alice.id))?.family, { userId: bob.id, revokedAt: null });
      assert.equal((await checks().accessToken(randomUUID(), alice.id))?.family, null);
    });

    it('answers null when there is no such account', async () => {
      const alice = await newUser('alice@example.com');
      const family = newFamily(alice.id, now());
      await current().refreshTokens.createFamily(family, tokenHash());
      assert.equal(await checks().accessToken(family.id, 'no-such-user'), null);
    });

    it('reads a live OIDC grant with the account it is asked for, as they are now', async () => {
      const alice = await newUser('alice@example.com');
      const grant = oidcRecord(now(), { payload: { accountId: alice.id, kind: 'Grant' } });
      await current().oidc.upsert('Grant', 'g-1', grant, { grantId: 'g-1', accountId: alice.id });
      assert.deepEqual(await checks().oidcGrant('g-1', alice.id), { grant, user: alice });
      await current().users.setDisabled(alice.id, true);
      assert.deepEqual(await checks().oidcGrant('g-1', alice.id), { grant, user: { ...alice, disabled: true } });
      assert.deepEqual(await checks().oidcGrant('g-1', 'no-such-user'), { grant, user: null });
    });

    it('answers null for a grant that is absent, revoked, expired or of another model', async () => {
      const alice = await newUser('alice@example.com');
      await current().oidc.upsert('Session', 's-1', oidcRecord(now()), { accountId: alice.id });
      assert.equal(await checks().oidcGrant('s-1', alice.id), null, 'same id, another model');
      assert.equal(await checks().oidcGrant('no-such-grant', alice.id), null);

      await current().oidc.upsert('Grant', 'g-2', oidcRecord(now()), { grantId: 'g-2', accountId: alice.id });
      await current().oidc.revokeByGrantId('g-2');
      assert.equal(await checks().oidcGrant('g-2', alice.id), null, 'revoked');

      await current().oidc.upsert('Grant', 'g-3', oidcRecord(now(), { expiresAt: now() + 5_000 }), {
        grantId: 'g-3',
        accountId: alice.id,
      });
      advance(5_000);
      assert.equal(await checks().oidcGrant('g-3', alice.id), null, 'expired at the store clock');
    });
  });
}
