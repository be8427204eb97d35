import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineChecks, type LabTarget, postJson } from '@authlab/lab-kit';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, type JSONWebKeySet, jwtVerify } from 'jose';

const MINUTE = 60 * 1000;
const DAY = 24 * 60 * MINUTE;
const ROTATION = 90 * DAY;

async function signIn(lab: LabTarget): Promise<string> {
  const response = await postJson(lab, '/login', { username: 'alice', password: 'correct-horse-battery-staple' });
  assert.equal(response.status, 200, 'alice signs in with her password');
  return ((await response.json()) as { access_token: string }).access_token;
}

const me = (lab: LabTarget, token: string) =>
  fetch(`${lab.url}/api/me`, { headers: { authorization: `Bearer ${token}` } });

async function fetchJwks(lab: LabTarget): Promise<JSONWebKeySet> {
  const response = await fetch(`${lab.url}/.well-known/jwks.json`);
  assert.equal(response.status, 200, 'GET /.well-known/jwks.json answers 200');
  return (await response.json()) as JSONWebKeySet;
}

export default defineChecks([
  {
    name: 'alice signs in and GET /api/me knows her; no token or a tampered one gets 401',
    async run(lab) {
      const token = await signIn(lab);
      const response = await me(lab, token);
      assert.equal(response.status, 200, 'GET /api/me with her token');
      assert.deepEqual(await response.json(), { sub: 'alice' });
      assert.equal((await fetch(`${lab.url}/api/me`)).status, 401, 'GET /api/me without a token');
      const tampered = `${token.slice(0, -4)}${token.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`;
      assert.equal((await me(lab, tampered)).status, 401, 'GET /api/me with a tampered signature');
    },
  },
  {
    name: 'the JWKS holds public keys only, each with a kid',
    async run(lab) {
      const { keys } = await fetchJwks(lab);
      assert.ok(keys.length > 0, 'the JWKS holds at least one key');
      for (const key of keys) {
        assert.equal(typeof key.kid, 'string', 'every published key has a kid');
        assert.equal(key.d, undefined, `key ${key.kid} is published with its private part "d"`);
      }
    },
  },
  {
    name: 'after 90 days a new key signs, and a token issued just before the rotation works to the end of its life (nobody is logged out)',
    async run(lab) {
      await lab.advanceClock(ROTATION - MINUTE);
      const before = await signIn(lab);
      await lab.advanceClock(2 * MINUTE);
      const after = await signIn(lab);
      assert.notEqual(
        decodeProtectedHeader(after).kid,
        decodeProtectedHeader(before).kid,
        '90 days on, tokens are signed with a new key',
      );
      assert.equal((await me(lab, after)).status, 200, 'a token signed with the new key works');
      await lab.advanceClock(12 * MINUTE);
      assert.equal(
        (await me(lab, before)).status,
        200,
        'a 14-minute-old token (it lives 15), signed with the key retired 12 minutes ago, still works: a rotation must not log anyone out',
      );
    },
  },
  {
    name: 'the key that signs after a rotation was in the JWKS before it, so resource servers with a cached JWKS accept the new tokens',
    partOfTheFix: true,
    async run(lab) {
      await lab.advanceClock(ROTATION - MINUTE);
      // A resource server fetches the JWKS a minute before the rotation and caches it (max-age=300).
      const cached = createLocalJWKSet(await fetchJwks(lab));
      await lab.advanceClock(2 * MINUTE);
      const token = await signIn(lab);
      const { kid } = decodeProtectedHeader(token);
      await jwtVerify(token, cached, { currentDate: new Date((decodeJwt(token).iat as number) * 1000) }).catch(() =>
        assert.fail(
          `the token signed after the rotation names key ${kid}, which the JWKS of a minute earlier did not hold: ` +
            'a resource server with that cached JWKS refuses every new token until it fetches again. Publish the next key before it signs',
        ),
      );
    },
  },
  {
    // A key past its use is destroyed (NIST SP 800-57 Part 1, the post-operational phase): a copy
    // of keys.json (a backup, a shared volume) then holds no key that ever signed long ago.
    name: 'after three rotations keys.json keeps only next, current and previous: older private keys are deleted',
    partOfTheFix: true,
    async run(lab) {
      const first = decodeProtectedHeader(await signIn(lab)).kid;
      for (let rotation = 1; rotation <= 3; rotation += 1) {
        await lab.advanceClock(ROTATION + MINUTE);
        await signIn(lab);
      }
      const { keys } = JSON.parse(readFileSync(join(lab.dataDir, 'keys.json'), 'utf8')) as { keys: { kid: string }[] };
      const kids = keys.map((key) => key.kid);
      assert.ok(
        kids.length <= 3,
        `keys.json holds ${kids.length} keys after three rotations; drop the previous key when the next rotation retires another`,
      );
      assert.ok(!kids.includes(first as string), 'the key that signed before the first rotation is still in keys.json');
    },
  },
]);
