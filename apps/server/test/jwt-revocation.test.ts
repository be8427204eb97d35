import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { endEverything } from '@authlab/auth-core';
import { freePort } from '@authlab/testkit';
import { decodeJwt } from 'jose';
import {
  addUser,
  assertAccessDead,
  assertAccessWorks,
  assertRefreshDead,
  describeForEachStore,
  familyOf,
  loginPair,
  refresh,
  refreshRace,
} from './support/jwt.ts';
import { compactJws, currentSigningKey, ed25519Signer } from './support/jwt-forge.ts';
import { Client, manualClock, type TestServer } from './support/server.ts';

const bearer = (accessToken: string) => ({ authorization: `Bearer ${accessToken}` });

/** POST /jwt/logout as a non-browser client, with the refresh token (JSON body) and/or a Bearer token. */
function logout(base: string, options: { refreshToken?: string; accessToken?: string } = {}) {
  return new Client(base).request('/jwt/logout', {
    method: 'POST',
    headers: options.accessToken ? bearer(options.accessToken) : {},
    ...(options.refreshToken ? { json: { refresh_token: options.refreshToken } } : {}),
  });
}

function devices(base: string, accessToken: string) {
  return new Client(base).json('/jwt/devices', { headers: bearer(accessToken) });
}

describeForEachStore('JWT revocation', (store) => {
  let server: TestServer;
  const clock = manualClock();
  /** Each test signs in its own account, so it owns every family the account has. */
  let accounts = 0;
  const newAccount = async () => (await addUser(server, `user${++accounts}@example.com`)).email;
  const reasonOf = async (accessToken: string) =>
    (await server.deps.store.refreshTokens.getFamily(familyOf(accessToken)))?.revokedReason;

  before(async () => {
    server = await store.start({ clock });
  });

  describe('POST /jwt/logout', () => {
    it('revokes the family with the refresh token alone (no Bearer): its refresh and access tokens die at once', async () => {
      const pair = await loginPair(server.url, await newAccount());
      await assertAccessWorks(server.url, pair.access_token);

      const answer = await logout(server.url, { refreshToken: pair.refresh_token });
      assert.equal(answer.status, 204);
      await assertAccessDead(server.url, pair.access_token, 'the access token outlived the logout');
      await assertRefreshDead(server.url, pair.refresh_token, 'the refresh token outlived the logout');
      assert.equal(await reasonOf(pair.access_token), 'logout');
    });

    it('still signs out with an expired access token when the refresh token is sent', async () => {
      const pair = await loginPair(server.url, await newAccount());
      clock.advance(15 * 60_000 + 10_000); // past the 15 min lifetime and its 5 s tolerance
      await assertAccessDead(server.url, pair.access_token, 'the access token has not expired');

      const answer = await logout(server.url, { accessToken: pair.access_token, refreshToken: pair.refresh_token });
      assert.equal(answer.status, 204);
      assert.equal(await reasonOf(pair.access_token), 'logout', 'the logout revoked the family');
      await assertRefreshDead(server.url, pair.refresh_token);
    });

    it("revokes the Bearer token's own family when no refresh token is sent, and no other", async () => {
      const email = await newAccount();
      const laptop = await loginPair(server.url, email, { device_name: 'laptop' });
      const phone = await loginPair(server.url, email, { device_name: 'phone' });

      const answer = await logout(server.url, { accessToken: laptop.access_token });
      assert.equal(answer.status, 204);
      await assertAccessDead(server.url, laptop.access_token);
      await assertRefreshDead(server.url, laptop.refresh_token);
      assert.equal(await reasonOf(laptop.access_token), 'logout');
      await assertAccessWorks(server.url, phone.access_token, email);
      assert.equal((await refresh(server.url, phone.refresh_token)).status, 200);
    });

    it('ends its own family with only an expired access token: signature and issuer checked, expiry not', async () => {
      const email = await newAccount();
      const laptop = await loginPair(server.url, email, { device_name: 'laptop' });
      const phone = await loginPair(server.url, email, { device_name: 'phone' });
      clock.advance(15 * 60_000 + 10_000); // past the 15 min lifetime and its 5 s tolerance
      await assertAccessDead(server.url, laptop.access_token, 'the access token has not expired');

      const answer = await logout(server.url, { accessToken: laptop.access_token });
      assert.equal(answer.status, 204);
      assert.equal(await reasonOf(laptop.access_token), 'logout', 'the expired token ended its family');
      await assertRefreshDead(server.url, laptop.refresh_token, 'the refresh token outlived the logout');
      assert.equal((await refresh(server.url, phone.refresh_token)).status, 200, 'another device is untouched');
    });

    it('ends no family for an expired token whose signature, issuer, audience or type is not ours', async () => {
      const pair = await loginPair(server.url, await newAccount());
      const claims = decodeJwt(pair.access_token);
      const { kid, privateKey } = currentSigningKey(server.dataDir);
      const header = { alg: 'EdDSA', kid, typ: 'at+jwt' };
      const sign = (changes: object, headerChanges: object = {}) =>
        compactJws({ ...header, ...headerChanges }, { ...claims, ...changes }, ed25519Signer(privateKey));
      const [encodedHeader, encodedPayload, signature = ''] = pair.access_token.split('.');
      const otherSignature = Buffer.from(Buffer.from(signature, 'base64url').map((byte) => byte ^ 0xff)).toString(
        'base64url',
      );
      clock.advance(15 * 60_000 + 10_000);
      const hostile: Array<[string, string]> = [
        ['a forged signature', `${encodedHeader}.${encodedPayload}.${otherSignature}`],
        ['another issuer', sign({ iss: 'https://evil.example' })],
        ['another audience', sign({ aud: 'https://evil.example/api' })],
        ['another token type (an ID token)', sign({}, { typ: 'JWT' })],
      ];
      for (const [what, token] of hostile) {
        assert.equal((await logout(server.url, { accessToken: token })).status, 204, what);
        assert.equal(await reasonOf(pair.access_token), null, `${what} ended the family`);
      }
      assert.equal((await refresh(server.url, pair.refresh_token)).status, 200);
    });

    it('answers 204 for an unknown refresh token (RFC 7009 §2.2) and revokes nothing', async () => {
      const pair = await loginPair(server.url, await newAccount());
      const unknown = randomBytes(32).toString('base64url');
      assert.equal((await logout(server.url, { refreshToken: unknown })).status, 204);
      assert.equal((await logout(server.url, { refreshToken: 'not-even-a-token' })).status, 204);
      await assertAccessWorks(server.url, pair.access_token);
    });
  });

  describe('POST /jwt/logout-all', () => {
    it("revokes every family and every access token already issued, other devices included, but not another user's", async () => {
      const email = await newAccount();
      const laptop = await loginPair(server.url, email, { device_name: 'laptop' });
      const laptopNow = (await refresh(server.url, laptop.refresh_token)).body;
      const phone = await loginPair(server.url, email, { device_name: 'phone' });
      const stranger = await loginPair(server.url, await newAccount());
      // An access token of a rotated family is still valid until it expires: it must die too.
      for (const token of [laptop.access_token, laptopNow.access_token, phone.access_token]) {
        await assertAccessWorks(server.url, token, email);
      }

      const answer = await new Client(server.url).request('/jwt/logout-all', {
        method: 'POST',
        headers: bearer(laptopNow.access_token),
      });
      assert.equal(answer.status, 204);

      for (const token of [laptop.access_token, laptopNow.access_token, phone.access_token]) {
        await assertAccessDead(server.url, token);
      }
      await assertRefreshDead(server.url, laptopNow.refresh_token);
      await assertRefreshDead(server.url, phone.refresh_token);
      const user = await server.deps.store.users.findByEmail(email);
      assert.deepEqual(await server.deps.store.refreshTokens.listFamilies(user?.id ?? '', clock()), []);

      await assertAccessWorks(server.url, stranger.access_token);
      assert.equal((await refresh(server.url, stranger.refresh_token)).status, 200);
    });

    it('lets the user sign in again right after logout-all, in the same second', async () => {
      const email = await newAccount();
      const old = await loginPair(server.url, email);
      const out = await new Client(server.url).request('/jwt/logout-all', {
        method: 'POST',
        headers: bearer(old.access_token),
      });
      assert.equal(out.status, 204);

      const fresh = await loginPair(server.url, email);
      // The manual clock stands still: the new token's iat is the second of the logout-all.
      assert.equal(decodeJwt(fresh.access_token).iat, decodeJwt(old.access_token).iat);
      await assertAccessWorks(server.url, fresh.access_token, email);
      await assertAccessDead(server.url, old.access_token);
      assert.equal((await refresh(server.url, fresh.refresh_token)).status, 200);
    });
  });

  describe('GET /jwt/devices and DELETE /jwt/devices/:id', () => {
    it("lists the user's families with current set only for the caller's, named by device_name", async () => {
      const email = await newAccount();
      const laptop = await loginPair(
        server.url,
        email,
        { device_name: 'laptop' },
        { 'user-agent': 'authlab-test/laptop' },
      );
      const phone = await loginPair(
        server.url,
        email,
        { device_name: 'phone' },
        { 'user-agent': 'authlab-test/phone' },
      );

      const listed = await devices(server.url, laptop.access_token);
      assert.equal(listed.status, 200);
      assert.equal(listed.headers.get('cache-control'), 'no-store');
      assert.equal(listed.body.devices.length, 2);
      for (const device of listed.body.devices) {
        assert.deepEqual(Object.keys(device).sort(), [
          'createdAt',
          'current',
          'id',
          'ip',
          'lastSeenAt',
          'name',
          'userAgent',
        ]);
        assert.equal(new Date(device.createdAt).toISOString(), device.createdAt);
        assert.equal(new Date(device.lastSeenAt).toISOString(), device.lastSeenAt);
        assert.equal(device.ip, '127.0.0.1');
        // The public handle is the family id, never the refresh token.
        assert.notEqual(device.id, laptop.refresh_token);
        assert.notEqual(device.id, phone.refresh_token);
      }
      const byName = Object.fromEntries(listed.body.devices.map((d: { name: string }) => [d.name, d]));
      assert.equal(byName.laptop.current, true);
      assert.equal(byName.laptop.id, familyOf(laptop.access_token));
      assert.equal(byName.laptop.userAgent, 'authlab-test/laptop');
      assert.equal(byName.phone.current, false);
      assert.equal(byName.phone.id, familyOf(phone.access_token));
      assert.equal(byName.phone.userAgent, 'authlab-test/phone');

      const fromPhone = await devices(server.url, phone.access_token);
      const current = fromPhone.body.devices.filter((d: { current: boolean }) => d.current);
      assert.deepEqual(
        current.map((d: { name: string }) => d.name),
        ['phone'],
      );
    });

    it("revokes another device: its access token is refused at once, the caller's still works", async () => {
      const email = await newAccount();
      const laptop = await loginPair(server.url, email, { device_name: 'laptop' });
      const phone = await loginPair(server.url, email, { device_name: 'phone' });
      await assertAccessWorks(server.url, phone.access_token);

      const removed = await new Client(server.url).request(`/jwt/devices/${familyOf(phone.access_token)}`, {
        method: 'DELETE',
        headers: bearer(laptop.access_token),
      });
      assert.equal(removed.status, 204);
      await assertAccessDead(server.url, phone.access_token, 'the revoked device still reaches the API');
      await assertRefreshDead(server.url, phone.refresh_token);
      assert.equal(await reasonOf(phone.access_token), 'device_revoked');

      await assertAccessWorks(server.url, laptop.access_token, email);
      const left = await devices(server.url, laptop.access_token);
      assert.deepEqual(
        left.body.devices.map((d: { name: string }) => d.name),
        ['laptop'],
      );
    });

    it("answers 404 for someone else's device id (and an unknown one) and leaves it alone", async () => {
      const mallory = await loginPair(server.url, await newAccount());
      const victim = await loginPair(server.url, await newAccount());
      for (const id of [familyOf(victim.access_token), randomBytes(16).toString('base64url')]) {
        const answer = await new Client(server.url).json(`/jwt/devices/${id}`, {
          method: 'DELETE',
          headers: bearer(mallory.access_token),
        });
        assert.equal(answer.status, 404);
        assert.equal(answer.body.error, 'not_found');
      }
      await assertAccessWorks(server.url, victim.access_token);
      assert.equal((await refresh(server.url, victim.refresh_token)).status, 200);
    });
  });

  describe('POST /api/logout-all and disabling the account', () => {
    it('ends the JWT families when called with a JWT', async () => {
      const email = await newAccount();
      const laptop = await loginPair(server.url, email);
      const phone = await loginPair(server.url, email);

      const answer = await new Client(server.url).request('/api/logout-all', {
        method: 'POST',
        headers: bearer(laptop.access_token),
      });
      assert.equal(answer.status, 204);
      for (const pair of [laptop, phone]) {
        await assertAccessDead(server.url, pair.access_token);
        await assertRefreshDead(server.url, pair.refresh_token);
      }
    });

    it('ends the JWT families when called with a session cookie', async () => {
      const email = await newAccount();
      const browser = new Client(server.url);
      assert.equal((await browser.login(email)).status, 200);
      const jwt = await loginPair(server.url, email);

      const answer = await browser.request('/api/logout-all', { method: 'POST' });
      assert.equal(answer.status, 204);
      await assertAccessDead(server.url, jwt.access_token);
      await assertRefreshDead(server.url, jwt.refresh_token);
      assert.equal((await browser.json('/session/me')).status, 401);
    });

    it('refuses access and refresh tokens at once when the account is disabled the way `pnpm users disable` does it', async () => {
      const email = await newAccount();
      const pair = await loginPair(server.url, email);
      const user = await server.deps.store.users.findByEmail(email);
      assert.ok(user);

      // The CLI's code path (apps/server/src/cli/users.ts, `disable`), against the same store.
      await server.deps.store.users.setDisabled(user.id, true);
      await endEverything(server.deps.store, user.id, { clock: server.deps.clock, reason: 'disabled' });

      await assertAccessDead(server.url, pair.access_token);
      await assertRefreshDead(server.url, pair.refresh_token);
      assert.equal(await reasonOf(pair.access_token), 'disabled');
    });
  });

  if (store.kind === 'redis') {
    describe('two instances sharing Redis and DATA_DIR behind one PUBLIC_URL', () => {
      let a: TestServer;
      let b: TestServer;
      let dataDir: string;

      before(async () => {
        dataDir = mkdtempSync(join(tmpdir(), 'authlab-jwt-pair-'));
        const portA = await freePort();
        const publicUrl = `http://127.0.0.1:${portA}`;
        const shared = { dataDir, redisKeyPrefix: store.uniquePrefix() };
        a = await store.start({ ...shared, env: { PUBLIC_URL: publicUrl, PORT: String(portA) } });
        b = await store.start({ ...shared, env: { PUBLIC_URL: publicUrl } });
      });

      after(async () => {
        await a?.stop();
        await b?.stop();
        if (dataDir) rmSync(dataDir, { recursive: true, force: true });
      });

      it('accepts on B an access token issued by A, and refreshes there', async () => {
        const pair = await loginPair(a.url, 'alice@example.com');
        await assertAccessWorks(b.url, pair.access_token, 'alice@example.com');
        const rotated = await refresh(b.url, pair.refresh_token);
        assert.equal(rotated.status, 200);
        await assertAccessWorks(a.url, rotated.body.access_token, 'alice@example.com');
      });

      it('kills the access token on A at once when the device logs out on B', async () => {
        const pair = await loginPair(a.url, 'alice@example.com');
        await assertAccessWorks(a.url, pair.access_token);
        assert.equal((await logout(b.url, { refreshToken: pair.refresh_token })).status, 204);
        await assertAccessDead(a.url, pair.access_token, 'A still accepts a token logged out on B');
        await assertRefreshDead(a.url, pair.refresh_token);
      });

      it('makes a parallel refresh race split across A and B converge on one successor (one rotation, the rest its retries)', async () => {
        const pair = await loginPair(a.url, 'bob@example.com');
        const answers = await refreshRace([a.url, b.url], pair.refresh_token, 40);
        assert.deepEqual([...new Set(answers.map((answer) => answer.status))], [200]);
        const successors = new Set(answers.map((answer) => answer.body.refresh_token));
        assert.equal(successors.size, 1, `${successors.size} successors: two rotations of one token`);
        const [successor] = successors;
        // Once the successor is used, the first token is reuse on both instances.
        const next = await refresh(b.url, successor);
        assert.equal(next.status, 200);
        await assertRefreshDead(a.url, pair.refresh_token);
        for (const base of [a.url, b.url]) await assertAccessDead(base, next.body.access_token);
      });
    });
  }
});
