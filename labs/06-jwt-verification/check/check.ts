import assert from 'node:assert/strict';
import { defineChecks, type LabTarget, postJson } from '@authlab/lab-kit';

const MINUTE = 60 * 1000;

async function signIn(lab: LabTarget, username: string, password: string): Promise<Response> {
  return postJson(lab, '/login', { username, password });
}

async function tokenOf(lab: LabTarget, username: string, password: string): Promise<string> {
  const response = await signIn(lab, username, password);
  assert.equal(response.status, 200, `POST /login as ${username} should answer 200`);
  return ((await response.json()) as { access_token: string }).access_token;
}

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
    // Hiding the key would stop this lab's HS256 forgery, not the next attacker: it is public.
    name: 'the public key is still published at /public-key (partners verify our tokens with it)',
    async run(lab) {
      const response = await fetch(`${lab.url}/public-key`);
      assert.equal(response.status, 200, 'GET /public-key should answer 200');
      assert.match(await response.text(), /^-----BEGIN PUBLIC KEY-----\n/, 'GET /public-key should serve a PEM');
    },
  },
  {
    name: 'a token works for its whole 15 minutes, and is refused once they are up',
    partOfTheFix: true,
    async run(lab) {
      const alice = await tokenOf(lab, 'alice', 'alice-in-accounting');
      await lab.advanceClock(14 * MINUTE);
      assert.equal((await get(lab, '/api/me', alice)).status, 200, 'a token 14 minutes old must still work');
      await lab.advanceClock(2 * MINUTE);
      assert.equal(
        (await get(lab, '/api/me', alice)).status,
        401,
        'a token 16 minutes old (past its exp) must get 401',
      );
    },
  },
  {
    name: "admin's invoice link still opens invoice 7 at billing, a day later too, and only invoice 7",
    async run(lab) {
      const link = new URL(String(lab.info.invoiceLink));
      const invoice = await fetch(link);
      assert.equal(invoice.status, 200, 'the invoice link must open the invoice');
      assert.equal(((await invoice.json()) as { id: string }).id, '7');
      await lab.advanceClock(24 * 60 * MINUTE);
      assert.equal((await fetch(link)).status, 200, 'the link is good for a week: a day later it must still work');
      const other = new URL(link);
      other.pathname = other.pathname.replace(/7$/, '8');
      assert.equal((await fetch(other)).status, 404, 'the link for invoice 7 must not open invoice 8');
    },
  },
]);
