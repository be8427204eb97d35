import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Store } from '../src/index.ts';

const GOOGLE = 'https://accounts.google.com';
const KEYCLOAK = 'https://sso.example.edu/realms/workshop';

const isConflict = (error: Error & { code?: string }) => {
  assert.equal(error.code, 'conflict');
  return true;
};

/**
 * `Store.identities`, run inside the store contract (so on SQLite and on Redis) with the
 * contract's fresh store for each test.
 */
export function describeIdentityContract(current: () => Store): void {
  describe('identity links', () => {
    const identities = () => current().identities;
    const newUser = async (email: string) =>
      (await current().users.create({ email, role: 'user', passwordHash: '$argon2id$fake' })).id;

    it('links (issuer, subject) to an account and finds it by that exact pair only', async () => {
      const alice = await newUser('alice@example.com');
      assert.equal(await identities().find(GOOGLE, 'sub-1'), null);
      await identities().link(GOOGLE, 'sub-1', alice);
      assert.equal(await identities().find(GOOGLE, 'sub-1'), alice);
      assert.equal(await identities().find(KEYCLOAK, 'sub-1'), null, 'the same subject at another issuer');
      assert.equal(await identities().find(GOOGLE, 'sub-2'), null);
    });

    it('accepts linking the same identity to the same account again', async () => {
      const alice = await newUser('alice@example.com');
      await identities().link(GOOGLE, 'sub-1', alice);
      await identities().link(GOOGLE, 'sub-1', alice);
      assert.equal(await identities().find(GOOGLE, 'sub-1'), alice);
    });

    it('refuses to move a linked identity to another account, and keeps the first link', async () => {
      const alice = await newUser('alice@example.com');
      const bob = await newUser('bob@example.com');
      await identities().link(GOOGLE, 'sub-1', alice);
      await assert.rejects(identities().link(GOOGLE, 'sub-1', bob), isConflict);
      assert.equal(await identities().find(GOOGLE, 'sub-1'), alice);
    });

    it('refuses a second subject at one issuer for an account, but not a subject at another issuer', async () => {
      const alice = await newUser('alice@example.com');
      await identities().link(GOOGLE, 'sub-1', alice);
      await assert.rejects(identities().link(GOOGLE, 'sub-2', alice), isConflict);
      assert.equal(await identities().find(GOOGLE, 'sub-2'), null);
      await identities().link(KEYCLOAK, 'kc-1', alice);
      assert.equal(await identities().find(KEYCLOAK, 'kc-1'), alice);
    });

    it('keeps pairs apart whatever characters issuer and subject hold', async () => {
      const alice = await newUser('alice@example.com');
      const bob = await newUser('bob@example.com');
      await identities().link('https://idp.example/a b', 'c', alice);
      await identities().link('https://idp.example/a', 'b c', bob);
      await identities().link('https://idp.example/"', '","\\', bob);
      assert.equal(await identities().find('https://idp.example/a b', 'c'), alice);
      assert.equal(await identities().find('https://idp.example/a', 'b c'), bob);
      assert.equal(await identities().find('https://idp.example/"', '","\\'), bob);
      assert.equal(await identities().find('https://idp.example/a', 'b'), null);
    });

    it('unlinks an account at one issuer only, returning the subject, after which it can be linked anew', async () => {
      const alice = await newUser('alice@example.com');
      const bob = await newUser('bob@example.com');
      await identities().link(GOOGLE, 'sub-1', alice);
      await identities().link(KEYCLOAK, 'kc-1', alice);
      await identities().link(GOOGLE, 'sub-2', bob);
      assert.equal(await identities().unlink(GOOGLE, alice), 'sub-1');
      assert.equal(await identities().find(GOOGLE, 'sub-1'), null);
      assert.equal(await identities().find(KEYCLOAK, 'kc-1'), alice, 'the link at another issuer stays');
      assert.equal(await identities().find(GOOGLE, 'sub-2'), bob, "another account's link stays");
      assert.equal(await identities().unlink(GOOGLE, alice), null, 'nothing left to unlink');
      // Both halves went: the subject can go to another account, and alice can take a new subject.
      const carol = await newUser('carol@example.com');
      await identities().link(GOOGLE, 'sub-1', carol);
      assert.equal(await identities().find(GOOGLE, 'sub-1'), carol);
      await identities().link(GOOGLE, 'sub-3', alice);
      assert.equal(await identities().find(GOOGLE, 'sub-3'), alice);
    });

    it('unlinks subjects whatever characters they hold', async () => {
      const alice = await newUser('alice@example.com');
      await identities().link('https://idp.example/"', '","\\ /é', alice);
      assert.equal(await identities().unlink('https://idp.example/"', alice), '","\\ /é');
      assert.equal(await identities().find('https://idp.example/"', '","\\ /é'), null);
      await identities().link('https://idp.example/"', 'other', alice);
    });

    it('lets exactly one of many concurrent links of one identity to different accounts win', async () => {
      const users = await Promise.all(Array.from({ length: 10 }, (_, i) => newUser(`user${i}@example.com`)));
      const results = await Promise.allSettled(users.map((id) => identities().link(GOOGLE, 'contested', id)));
      const winners = users.filter((_, i) => results[i]?.status === 'fulfilled');
      assert.equal(winners.length, 1);
      assert.equal(await identities().find(GOOGLE, 'contested'), winners[0]);
      for (const result of results) {
        if (result.status === 'rejected') isConflict(result.reason);
      }
    });
  });
}
