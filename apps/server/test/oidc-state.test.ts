import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type RedisServer, redisServerBinary, requireComponent, startRedisServer } from '@authlab/testkit';
import { decodeProtectedHeader } from 'jose';
import { authorize, tokenRequest } from './support/oidc.ts';
import { Client, startTestServer, type TestServer } from './support/server.ts';

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function signIn(server: TestServer, tokenServer: TestServer = server) {
  const result = await authorize(new Client(server.url));
  assert.ok(result.url, `no redirect to the client: ${result.status} ${result.body}`);
  const tokens = await tokenRequest(new Client(tokenServer.url), {
    grant_type: 'authorization_code',
    code: result.params?.get('code') ?? '',
    redirect_uri: result.redirectUri,
    code_verifier: result.verifier,
  });
  assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
  return tokens.body as { access_token: string; refresh_token: string; id_token: string };
}

describe('OpenID Provider state and keys', () => {
  it('keeps grants and refresh tokens across a restart on SQLite', async () => {
    const first = await startTestServer();
    const tokens = await signIn(first);
    await first.close(); // the same DATA_DIR is reused below; only the process goes
    // Same DATA_DIR and the same PUBLIC_URL (issuer and API resource), new process and port.
    const second = await startTestServer({
      dataDir: first.dataDir,
      env: { PUBLIC_URL: first.deps.config.publicUrl },
    });
    try {
      const refreshed = await tokenRequest(new Client(second.url), {
        grant_type: 'refresh_token',
        refresh_token: tokens.refresh_token,
      });
      assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
      const me = await new Client(second.url).json('/api/me', { headers: bearer(refreshed.body.access_token) });
      assert.equal(me.body.mode, 'oidc');
    } finally {
      await second.stop();
      await first.stop(); // removes the DATA_DIR both used
    }
  });

  describe('key rotation', () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer();
    });
    after(() => server.stop());

    it('rebuilds the provider with the new key first, and tokens from the old key keep working', async () => {
      const before = await signIn(server);
      const oldKid = decodeProtectedHeader(before.access_token).kid;
      // Forced: the ring is seconds old (a rotation would otherwise wait out the JWKS max-age).
      server.deps.oidcKeyRing.rotate({ force: true });
      const after = await signIn(server);
      const newKid = decodeProtectedHeader(after.access_token).kid;
      assert.notEqual(newKid, oldKid, 'new tokens are signed with the promoted key');
      assert.equal(decodeProtectedHeader(after.id_token).kid, newKid);
      const jwks = await new Client(server.url).json('/oidc/jwks');
      const kids = (jwks.body.keys as Array<{ kid: string; d?: string }>).map((k) => k.kid);
      assert.ok(kids.includes(String(oldKid)) && kids.includes(String(newKid)));
      assert.ok(
        (jwks.body.keys as Array<Record<string, unknown>>).every((k) => !('d' in k)),
        'never a private member',
      );
      for (const token of [before.access_token, after.access_token]) {
        const me = await new Client(server.url).json('/api/me', { headers: bearer(token) });
        assert.equal(me.status, 200);
      }
    });
  });

  describe('two instances on one Redis', () => {
    const hasRedis = redisServerBinary() !== null;
    let redis: RedisServer | undefined;
    let a: TestServer | undefined;
    let b: TestServer | undefined;
    before(async () => {
      if (!hasRedis) return;
      redis = await startRedisServer();
      const prefix = `oidc-shared:${process.pid}:`;
      a = await startTestServer({ env: { REDIS_URL: redis.url }, redisKeyPrefix: prefix });
      const env = { REDIS_URL: redis.url, PUBLIC_URL: a.deps.config.publicUrl };
      b = await startTestServer({ env, dataDir: a.dataDir, redisKeyPrefix: prefix });
    });
    after(async () => {
      await b?.stop();
      await a?.stop();
      await redis?.stop();
    });

    it('authorizes on one instance, redeems on the other, and a revocation on either holds on both', async (t) => {
      if (!requireComponent(t, hasRedis, 'redis-server', 'apt-get install redis-server')) return;
      if (!a || !b) throw new Error('instances did not start');
      const tokens = await signIn(a, b);
      assert.equal((await new Client(a.url).json('/api/me', { headers: bearer(tokens.access_token) })).status, 200);
      const refreshed = await tokenRequest(new Client(a.url), {
        grant_type: 'refresh_token',
        refresh_token: tokens.refresh_token,
      });
      assert.equal(refreshed.status, 200);
      const replay = await tokenRequest(new Client(b.url), {
        grant_type: 'refresh_token',
        refresh_token: tokens.refresh_token,
      });
      assert.equal(replay.body.error, 'invalid_grant', 'a rotated refresh token replayed on the other instance');
      const me = await new Client(a.url).json('/api/me', { headers: bearer(refreshed.body.access_token) });
      assert.equal(me.status, 401, 'the replay revoked the grant on every instance at once');
    });
  });
});
