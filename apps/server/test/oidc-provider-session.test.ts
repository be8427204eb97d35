import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type RedisServer, redisServerBinary, startRedisServer } from '@authlab/testkit';
import * as oidc from 'openid-client';
import { runCli } from './support/cli.ts';
import { addUser } from './support/jwt.ts';
import { RP_REDIRECT, signInWithOpenidClient, thirdPartyApp } from './support/relying-party.ts';
import { Client, DEMO_PASSWORD, startTestServer, type TestServer } from './support/server.ts';

/**
 * The provider's own sign-in session (its cookie) ends with the person's access: "log out
 * everywhere" in any mode, a password change and disabling the account each end it and the
 * grants, so the next authorization asks for the password again instead of minting new tokens
 * (ASVS V3.3.1, V3.3.3). openid-client is the app; a cookie jar plays the person's browser.
 */

/** A fresh account signed in at the provider: the second authorization skips the password. */
async function signedInAtProvider(server: TestServer, email: string) {
  await addUser(server, email);
  const config = await thirdPartyApp(server.url);
  const browser = new Client(server.url);
  const first = await signInWithOpenidClient(config, browser, { email, scope: 'openid api offline_access' });
  assert.equal(first.passwordAsked, true);
  const second = await signInWithOpenidClient(config, browser, { email, scope: 'openid api offline_access' });
  assert.equal(second.passwordAsked, false, 'a live provider session skips the password');
  return { config, browser, tokens: second.tokens };
}

/** After a revocation: the old refresh token is dead and the next sign-in asks for the password. */
async function assertProviderSessionEnded(
  signedIn: Awaited<ReturnType<typeof signedInAtProvider>>,
  email: string,
  password = DEMO_PASSWORD,
) {
  const { config, browser, tokens } = signedIn;
  await assert.rejects(oidc.refreshTokenGrant(config, tokens.refresh_token ?? ''), (error: oidc.ResponseBodyError) => {
    assert.equal(error.error, 'invalid_grant');
    return true;
  });
  const next = await signInWithOpenidClient(config, browser, { email, password, scope: 'openid api' });
  assert.equal(next.passwordAsked, true, 'the provider session survived: no password asked');
}

/** The first page the person's browser lands on for a new authorization request. */
async function landingPage(server: TestServer, config: oidc.Configuration, browser: Client) {
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: RP_REDIRECT,
    scope: 'openid api',
    code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
    code_challenge_method: 'S256',
  });
  let response = await browser.request(url.pathname + url.search);
  for (let hop = 0; hop < 5 && response.headers.get('location'); hop++) {
    const next = new URL(response.headers.get('location') ?? '', server.url);
    assert.equal(next.origin, server.url, `left for ${next} without signing in`);
    response = await browser.request(next.pathname + next.search);
  }
  return { status: response.status, html: await response.text() };
}

describe('the provider session ends with the person access (SQLite)', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.stop());

  it('ends at POST /api/logout-all with the OIDC access token', async () => {
    const signedIn = await signedInAtProvider(server, 'oidc-logout-all@example.com');
    const answer = await new Client(server.url).json('/api/logout-all', {
      method: 'POST',
      headers: { authorization: `Bearer ${signedIn.tokens.access_token}` },
    });
    assert.equal(answer.status, 204);
    await assertProviderSessionEnded(signedIn, 'oidc-logout-all@example.com');
  });

  it("ends at the session mode's POST /session/logout-all", async () => {
    const email = 'session-logout-all@example.com';
    const signedIn = await signedInAtProvider(server, email);
    const site = new Client(server.url);
    assert.equal((await site.login(email)).status, 200);
    assert.equal((await site.json('/session/logout-all', { method: 'POST' })).status, 204);
    await assertProviderSessionEnded(signedIn, email);
  });

  it("ends at the JWT mode's POST /jwt/logout-all", async () => {
    const email = 'jwt-logout-all@example.com';
    const signedIn = await signedInAtProvider(server, email);
    const app = new Client(server.url);
    const login = await app.json('/jwt/login', { method: 'POST', json: { email, password: DEMO_PASSWORD } });
    assert.equal(login.status, 200);
    const answer = await app.json('/jwt/logout-all', {
      method: 'POST',
      headers: { authorization: `Bearer ${login.body.access_token}` },
    });
    assert.equal(answer.status, 204);
    await assertProviderSessionEnded(signedIn, email);
  });

  it('ends at pnpm users set-password, run beside the server on its DATA_DIR', async () => {
    const email = 'set-password@example.com';
    const signedIn = await signedInAtProvider(server, email);
    const changed = await runCli('users', ['set-password', email], {
      DATA_DIR: server.dataDir,
      AUTHLAB_NEW_PASSWORD: 'a-brand-new-password',
    });
    assert.equal(changed.code, 0, changed.stderr);
    await assertProviderSessionEnded(signedIn, email, 'a-brand-new-password');
  });

  it('ends at pnpm users disable; after enable the password is asked again', async () => {
    const email = 'disable-enable@example.com';
    const signedIn = await signedInAtProvider(server, email);
    const env = { DATA_DIR: server.dataDir };
    assert.equal((await runCli('users', ['disable', email], env)).code, 0);
    assert.equal((await runCli('users', ['enable', email], env)).code, 0);
    await assertProviderSessionEnded(signedIn, email);
  });

  it("shows a disabled account's live provider session the login page, not a 500", async () => {
    const email = 'disabled-live-session@example.com';
    const { config, browser } = await signedInAtProvider(server, email);
    const user = await server.deps.store.users.findByEmail(email);
    assert.ok(user);
    // Disabled in the store alone (no revocation ran): the provider session is still there.
    await server.deps.store.users.setDisabled(user.id, true);
    try {
      const page = await landingPage(server, config, browser);
      assert.equal(page.status, 200, page.html);
      assert.match(page.html, /name="password"/, 'the login form');
    } finally {
      await server.deps.store.users.setDisabled(user.id, false);
    }
  });
});

const hasRedis = redisServerBinary() !== null;

describe('the provider session ends across instances (Redis)', { skip: hasRedis ? false : 'no redis-server' }, () => {
  let redis: RedisServer;
  let dataDir: string;
  let a: TestServer;
  let b: TestServer;
  before(async () => {
    redis = await startRedisServer();
    dataDir = mkdtempSync(join(tmpdir(), 'authlab-provider-session-'));
    const env = { REDIS_URL: redis.url };
    a = await startTestServer({ env, dataDir });
    // One PUBLIC_URL behind a load balancer: B answers as A's origin.
    b = await startTestServer({ env: { ...env, PUBLIC_URL: a.url }, dataDir });
  });
  after(async () => {
    await b?.stop();
    await a?.stop();
    await redis?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('a logout-all on instance B ends the provider session made on instance A', async () => {
    const email = 'two-instances@example.com';
    const signedIn = await signedInAtProvider(a, email);
    const answer = await new Client(b.url).json('/api/logout-all', {
      method: 'POST',
      headers: { authorization: `Bearer ${signedIn.tokens.access_token}` },
    });
    assert.equal(answer.status, 204);
    await assertProviderSessionEnded(signedIn, email);
  });

  it('pnpm users disable against Redis ends it too', async () => {
    const email = 'redis-disable@example.com';
    const signedIn = await signedInAtProvider(a, email);
    const env = { DATA_DIR: dataDir, REDIS_URL: redis.url };
    assert.equal((await runCli('users', ['disable', email], env)).code, 0);
    assert.equal((await runCli('users', ['enable', email], env)).code, 0);
    await assertProviderSessionEnded(signedIn, email);
  });
});
