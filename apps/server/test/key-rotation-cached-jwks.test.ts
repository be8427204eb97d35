import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { JWKS_MAX_AGE_SEC, jwtKeyRingPath, type KeyRingFile } from '@authlab/auth-core';
import { createRemoteJWKSet, decodeProtectedHeader, errors, jwtVerify } from 'jose';
import { runCli } from './support/cli.ts';
import { jwtLogin } from './support/jwt.ts';
import { manualClock, startTestServer, type TestServer } from './support/server.ts';

/**
 * A rotation never promotes a key that verifiers may not have yet: `pnpm keys rotate` refuses
 * while the next key has been published for less than the JWKS cache lifetime (`max-age`).
 * The verifier is jose's createRemoteJWKSet, holding the JWKS it fetched for as long as the
 * server's Cache-Control allows (as an HTTP-cache-respecting resource server does).
 */
describe('key rotation and a resource server with a cached JWKS', () => {
  const clock = manualClock();
  let server: TestServer;
  let ringFile: string;
  let jwks: ReturnType<typeof createRemoteJWKSet>;
  before(async () => {
    server = await startTestServer({ clock });
    ringFile = jwtKeyRingPath(server.dataDir);
    const response = await fetch(`${server.url}/.well-known/jwks.json`);
    assert.equal(response.headers.get('cache-control'), `public, max-age=${JWKS_MAX_AGE_SEC}`);
    jwks = createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`), {
      cacheMaxAge: JWKS_MAX_AGE_SEC * 1000,
      cooldownDuration: JWKS_MAX_AGE_SEC * 1000,
    });
  });
  after(() => server.stop());

  const env = () => ({ DATA_DIR: server.dataDir });
  const currentKid = () => readRing().keys.find((key) => key.state === 'current')?.kid;
  const readRing = () => JSON.parse(readFileSync(ringFile, 'utf8')) as KeyRingFile;

  /** A fresh token, after the server has had the time to pick up the ring file (it checks every 5 s). */
  async function newToken() {
    clock.advance(6_000);
    const login = await jwtLogin(server.url, 'alice@example.com');
    assert.equal(login.status, 200, JSON.stringify(login.body));
    return login.body.access_token as string;
  }

  const verifyWithCachedJwks = (token: string) =>
    jwtVerify(token, jwks, { issuer: server.url, audience: `${server.url}/api`, currentDate: new Date(clock()) });

  it('refuses to promote a next key published moments ago, with a message saying when it may', async () => {
    await verifyWithCachedJwks(await newToken()); // the verifier now holds the JWKS
    const before = currentKid();
    const rotate = await runCli('keys', ['rotate'], env());
    assert.equal(rotate.code, 1, rotate.stdout);
    assert.match(rotate.stderr, /refusing to rotate/);
    assert.match(rotate.stderr, /again in \d+ s \(after \d{4}-\d\d-\d\dT/);
    assert.match(rotate.stderr, /--force/);
    assert.equal(currentKid(), before, 'the ring is unchanged');
    await verifyWithCachedJwks(await newToken());
  });

  it('rotates once the next key has been published for the cache lifetime; a second rotation in a row is refused', async () => {
    // The next key was published long enough ago (as it would be, days after the last rotation).
    const ring = readRing();
    for (const key of ring.keys) key.createdAt -= (JWKS_MAX_AGE_SEC + 60) * 1000;
    writeFileSync(ringFile, JSON.stringify(ring));
    const promoted = ring.keys.find((key) => key.state === 'next')?.kid;

    const first = await runCli('keys', ['rotate'], env());
    assert.equal(first.code, 0, first.stderr);
    const second = await runCli('keys', ['rotate'], env());
    assert.equal(second.code, 1, 'two rotations in a row would promote a key no cached JWKS holds');
    assert.match(second.stderr, /refusing to rotate/);

    const token = await newToken();
    assert.equal(decodeProtectedHeader(token).kid, promoted);
    const { payload } = await verifyWithCachedJwks(token);
    assert.equal(payload.role, 'user');
  });

  it('--force rotates anyway, and then a verifier with a cached JWKS refuses new tokens (why it is refused by default)', async () => {
    const forced = await runCli('keys', ['rotate', '--force'], env());
    assert.equal(forced.code, 0, forced.stderr);
    await assert.rejects(verifyWithCachedJwks(await newToken()), errors.JWKSNoMatchingKey);
  });

  it('refuses for the OpenID Provider ring as well', async () => {
    const providerJwks = await fetch(`${server.url}/oidc/jwks`);
    assert.equal(providerJwks.headers.get('cache-control'), `public, max-age=${JWKS_MAX_AGE_SEC}`);
    const rotate = await runCli('keys', ['rotate', '--ring', 'oidc'], env());
    assert.equal(rotate.code, 1, rotate.stdout);
    assert.match(rotate.stderr, /refusing to rotate .*oidc-keys\.json/);
  });
});
