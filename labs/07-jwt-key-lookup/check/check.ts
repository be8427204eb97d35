import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { defineChecks, type LabTarget, postJson } from '@authlab/lab-kit';
import { exportSPKI, generateKeyPair, SignJWT } from 'jose';

async function signIn(lab: LabTarget, username: string, password: string): Promise<Response> {
  return postJson(lab, '/login', { username, password });
}

async function tokenOf(lab: LabTarget, username: string, password: string): Promise<string> {
  const response = await signIn(lab, username, password);
  assert.equal(response.status, 200, `POST /login as ${username} should answer 200`);
  return ((await response.json()) as { access_token: string }).access_token;
}

const kidOf = (token: string): string => JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString()).kid;

const get = (lab: LabTarget, path: string, token?: string) =>
  fetch(`${lab.url}${path}`, token ? { headers: { authorization: `Bearer ${token}` } } : {});

export default defineChecks([
  {
    name: 'users sign in; their token opens /api/me; /api/admin is for admin only; no token is 401',
    async run(lab) {
      assert.equal((await signIn(lab, 'alice', 'not her password')).status, 401, 'a wrong password gets 401');
      const alice = await tokenOf(lab, 'alice', 'alice-in-accounting');
      const me = await get(lab, '/api/me', alice);
      assert.equal(me.status, 200, "alice's own token must open /api/me");
      assert.deepEqual(await me.json(), { sub: 'alice', role: 'user' });
      assert.equal((await get(lab, '/api/admin', alice)).status, 403, 'alice is no admin: /api/admin answers 403');
      const admin = await tokenOf(lab, 'admin', 'admin: never written down');
      assert.equal((await get(lab, '/api/admin', admin)).status, 200, "admin's own token must open /api/admin");
      assert.equal((await get(lab, '/api/me')).status, 401, 'no token: 401');
    },
  },
  {
    name: 'after a key rotation, tokens signed with the old key and with the new one both work',
    async run(lab) {
      const before = await tokenOf(lab, 'alice', 'alice-in-accounting');
      const admin = await tokenOf(lab, 'admin', 'admin: never written down');
      const rotated = await fetch(`${lab.url}/api/admin/rotate-key`, {
        method: 'POST',
        headers: { authorization: `Bearer ${admin}` },
      });
      assert.equal(rotated.status, 200, 'POST /api/admin/rotate-key as admin should answer 200');
      const after = await tokenOf(lab, 'alice', 'alice-in-accounting');
      assert.notEqual(kidOf(after), kidOf(before), 'a token issued after the rotation carries the new kid');
      const jwks = (await (await fetch(`${lab.url}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] };
      assert.deepEqual(
        jwks.keys.map((key) => key.kid),
        [kidOf(before), kidOf(after)],
        '/.well-known/jwks.json lists the old and the new kid',
      );
      assert.equal((await get(lab, '/api/me', before)).status, 200, 'a token signed with the old key must still work');
      assert.equal((await get(lab, '/api/me', after)).status, 200, 'a token signed with the new key must work');
      assert.equal(
        (await get(lab, '/api/admin', admin)).status,
        200,
        "admin's token from before the rotation must still work",
      );
    },
  },
  {
    name: 'mallory can still store her webhook key, and something that is not a key gets 400',
    async run(lab) {
      const mallory = await tokenOf(lab, 'mallory', 'mallory-integrates-webhooks');
      const put = (publicKey: string) =>
        fetch(`${lab.url}/api/webhook-key`, {
          method: 'PUT',
          headers: { authorization: `Bearer ${mallory}`, 'content-type': 'application/json' },
          body: JSON.stringify({ publicKey }),
        });
      const pem =
        '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAtlcx8C8f0+bnbSNaEHvtPEAgnSfTubEzY46mOG3U61s=\n-----END PUBLIC KEY-----\n';
      assert.equal((await put(pem)).status, 204, 'an Ed25519 public key in PEM is stored: 204');
      assert.equal((await put('not a key')).status, 400, 'anything else: 400');
    },
  },
  {
    // Sanitising the kid (basename, stripping "../") still lets it name a file: any key file
    // that gets into the server's folders (an upload, a backup, a shared volume) then verifies.
    name: 'a kid never names a file: a key file placed in the data folder verifies nothing',
    partOfTheFix: true,
    async run(lab) {
      const { publicKey, privateKey } = await generateKeyPair('EdDSA');
      const pem = await exportSPKI(publicKey);
      mkdirSync(join(lab.dataDir, 'keys'), { recursive: true });
      for (const folder of ['keys', 'webhook-keys', '.']) writeFileSync(join(lab.dataDir, folder, 'planted.pem'), pem);
      const claims = JSON.parse(
        Buffer.from(
          (await tokenOf(lab, 'mallory', 'mallory-integrates-webhooks')).split('.')[1] ?? '',
          'base64url',
        ).toString(),
      );
      for (const kid of ['planted', '../planted', '../webhook-keys/planted']) {
        const token = await new SignJWT({ ...claims, sub: 'admin' })
          .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid })
          .sign(privateKey);
        const status = (await get(lab, '/api/admin', token)).status;
        assert.equal(status, 401, `a token with kid "${kid}", signed with a key in a .pem file on disk, got ${status}`);
      }
    },
  },
  {
    name: 'a token with jku or x5u headers makes the server fetch nothing, and is refused',
    partOfTheFix: true,
    async run(lab) {
      // A stand-in for any URL an attacker may name: an internal admin page, a cloud metadata
      // address. It records every request the lab server makes to it.
      const requests: string[] = [];
      const recorder = createServer((request, response) => {
        requests.push(`${request.method} ${request.url}`);
        response.writeHead(404).end();
      });
      await new Promise<void>((resolve) => recorder.listen(0, '127.0.0.1', resolve));
      const base = `http://127.0.0.1:${(recorder.address() as { port: number }).port}`;
      try {
        const { privateKey } = await generateKeyPair('EdDSA');
        const statuses: number[] = [];
        for (const header of [{ jku: `${base}/jwks.json`, kid: 'k1' }, { x5u: `${base}/cert.pem` }]) {
          const now = Math.floor(Date.now() / 1000);
          const token = await new SignJWT({
            sub: 'alice',
            iss: lab.url,
            aud: `${lab.url}/api`,
            iat: now,
            exp: now + 600,
          })
            .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', ...header })
            .sign(privateKey);
          statuses.push((await get(lab, '/api/me', token)).status);
        }
        assert.ok(
          requests.length === 0,
          `the lab server fetched a URL taken from a token header: ${requests.join(', ')}`,
        );
        assert.deepEqual(statuses, [401, 401], 'tokens signed with a key the server does not have get 401');
      } finally {
        recorder.close();
        recorder.closeAllConnections();
      }
    },
  },
]);
