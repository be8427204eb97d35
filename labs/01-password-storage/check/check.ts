import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineChecks, type LabTarget, postJson } from '@authlab/lab-kit';
import argon2 from 'argon2';

const storedHash = (lab: LabTarget, username: string): string =>
  JSON.parse(readFileSync(join(lab.dataDir, 'users.json'), 'utf8'))[username].hash;

/** OWASP's argon2id minimums, any one row: memory (KiB), passes. */
const OWASP_ARGON2ID: [number, number][] = [
  [47_104, 1],
  [19_456, 2],
  [12_288, 3],
  [9_216, 4],
  [7_168, 5],
];
const atOwaspCost = (hash: string): boolean => {
  // "$argon2id$v=19$m=19456,p=1,t=2$salt$hash"; the order of the parameters varies.
  const param = (name: string) => Number(new RegExp(`[$,]${name}=(\\d+)[,$]`).exec(hash)?.[1]);
  return hash.startsWith('$argon2id$') && OWASP_ARGON2ID.some(([m, t]) => param('m') >= m && param('t') >= t);
};

export default defineChecks([
  {
    name: 'alice signs in with her password, and a wrong one gets 401 invalid_credentials',
    async run(lab) {
      assert.equal((await postJson(lab, '/login', { username: 'alice', password: 'dragonfly-7' })).status, 200);
      const wrong = await postJson(lab, '/login', { username: 'alice', password: 'dragonfly-8' });
      assert.equal(wrong.status, 401);
      assert.deepEqual(await wrong.json(), { error: 'invalid_credentials' });
    },
  },
  {
    name: 'a new user registers and signs in',
    async run(lab) {
      const password = 'a brand new passphrase';
      assert.equal((await postJson(lab, '/register', { username: 'carol', password })).status, 201);
      assert.equal((await postJson(lab, '/login', { username: 'carol', password })).status, 200);
    },
  },
  {
    name: 'bob, whose hash came from the old bcrypt system, still signs in',
    async run(lab) {
      assert.equal(
        (await postJson(lab, '/login', { username: 'bob', password: 'correct horse battery staple' })).status,
        200,
      );
      assert.equal(
        (await postJson(lab, '/login', { username: 'bob', password: 'correct horse battery staple' })).status,
        200,
      );
    },
  },
  {
    name: "bob's bcrypt hash is replaced by an argon2id hash at his next successful sign-in",
    partOfTheFix: true,
    async run(lab) {
      assert.match(storedHash(lab, 'bob'), /^\$2[aby]\$/, 'bob starts with a bcrypt hash');
      await postJson(lab, '/login', { username: 'bob', password: 'not his password' });
      assert.match(storedHash(lab, 'bob'), /^\$2[aby]\$/, 'a failed sign-in must not touch the hash');
      assert.equal(
        (await postJson(lab, '/login', { username: 'bob', password: 'correct horse battery staple' })).status,
        200,
      );
      assert.match(storedHash(lab, 'bob'), /^\$argon2id\$/, "after bob's sign-in his stored hash is argon2id");
    },
  },
  {
    // The attacker's 3 seconds stand in for a real one's GPUs and weeks: a cheap argon2id can
    // outlast the lab's attacker and still fall to a real one.
    name: "every hash the server writes (alice's, a new user's, bob's at migration) is argon2id at OWASP's cost or more",
    partOfTheFix: true,
    async run(lab) {
      await postJson(lab, '/register', { username: 'carol', password: 'a brand new passphrase' });
      await postJson(lab, '/login', { username: 'bob', password: 'correct horse battery staple' });
      const passwords = { alice: 'dragonfly-7', carol: 'a brand new passphrase', bob: 'correct horse battery staple' };
      for (const [username, password] of Object.entries(passwords)) {
        const hash = storedHash(lab, username);
        assert.ok(
          atOwaspCost(hash),
          `${username}'s stored hash "${hash.slice(0, 32)}…" is weaker than argon2id with 19 MiB and 2 passes (or an OWASP equivalent)`,
        );
        // The parameters in the string prove nothing by themselves: argon2 itself must accept it.
        const genuine = await argon2.verify(hash, password).catch(() => false);
        assert.ok(
          genuine,
          `${username}'s stored hash "${hash.slice(0, 32)}…" has argon2id's format, but argon2 does not verify ${username}'s password against it`,
        );
      }
    },
  },
]);
