/**
 * `pnpm authlab` against an OpenID Provider we did not write: a standalone oidc-provider with its
 * own login and consent pages, once under an issuer path (Keycloak's `/realms/<realm>`) and once
 * at a root issuer, with a resource server that verifies its access tokens with jose. The system
 * browser is a real Chromium. Also: login keeps a sign-in whatever the API answers, and the exit
 * codes tell a wrong address from one that does not answer and from a provider that said no.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { findChromium, freePort, requireComponent } from '@authlab/testkit';
import {
  CONFIDENTIAL_CLIENT_ID,
  FOREIGN_CLIENT_ID,
  type ForeignProvider,
  startForeignProvider,
} from '../../../packages/native-client/test/foreign-provider.ts';
import {
  authlab,
  FakeBrowserReport,
  fakeBrowserCommand,
  killLeftoverProcesses,
  Machine,
  startAuthlab,
} from './support/authlab-cli.ts';

const chromium = findChromium();
const needsChromium = (t: TestContext) =>
  requireComponent(t, chromium !== null, 'Chromium', 'apt-get install chromium');

const machines: Machine[] = [];
const newMachine = () => {
  const machine = new Machine();
  machines.push(machine);
  return machine;
};

/** `login` with the fake system browser going through the foreign provider's own pages. */
async function loginThroughBrowser(t: TestContext, machine: Machine, options: string[]) {
  const report = new FakeBrowserReport(join(machine.root, `browser-${Date.now()}.jsonl`));
  t.after(() => report.stop());
  const login = startAuthlab(['login', '--browser', fakeBrowserCommand(), ...options], {
    env: machine.env({
      CHROMIUM_PATH: chromium ?? undefined,
      FAKE_BROWSER_REPORT: report.file,
      FAKE_BROWSER_PAGES: 'oidc-provider',
    }),
  });
  const result = await Promise.race([login.done(), report.failure()]);
  return { result, report };
}

/** The refresh token grant at the foreign provider, as any client would send it. */
async function refreshAt(idp: ForeignProvider, refreshToken: string) {
  const response = await fetch(`${idp.issuer}/token`, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'refresh_token',
      client_id: FOREIGN_CLIENT_ID,
      refresh_token: refreshToken,
    }),
  });
  return { status: response.status, body: (await response.json()) as { error?: string } };
}

after(() => {
  killLeftoverProcesses();
  for (const machine of machines) machine.remove();
});

describe('pnpm authlab with --issuer at a Keycloak-style issuer path (/realms/workshop)', () => {
  let idp: ForeignProvider;
  const machine = newMachine();
  const run = (...args: string[]) => authlab(args, { env: machine.env() });
  let account: string;
  before(async () => {
    idp = await startForeignProvider({ issuerPath: '/realms/workshop' });
    account = `oidc:${idp.issuer} ${FOREIGN_CLIENT_ID}`;
  });
  after(() => idp.close());

  it('signs alice in at the foreign provider through the browser and names her from the API', async (t) => {
    if (!needsChromium(t)) return;
    const { result, report } = await loginThroughBrowser(t, machine, [
      '--issuer',
      idp.issuer,
      '--client-id',
      FOREIGN_CLIENT_ID,
      '--api',
      idp.api,
    ]);
    assert.equal(result.code, 0, result.stderr);
    // The API answered its own JSON (no email in it): the name comes from the ID token.
    assert.equal(
      result.stdout,
      `signed in as alice@example.com (oidc, ${idp.issuer}); token in file (${machine.vaultFile})\n`,
    );
    assert.doesNotMatch(result.stderr, /note:/);
    const opened = await report.waitFor((line) => (line.event === 'started' ? line.url : undefined), 'start');
    assert.match(opened, /^http:\/\/127\.0\.0\.1:\d+\/start\/[\w-]{43}$/, 'the browser was given the start link');
    const redirected = await report.waitFor((line) => (line.event === 'redirected' ? line : undefined), 'redirect');
    assert.equal(redirected.status, 302);
    const request = new URL(redirected.location);
    assert.equal(request.origin + request.pathname, `${idp.issuer}/auth`);
    assert.equal(request.searchParams.get('client_id'), FOREIGN_CLIENT_ID);
    assert.equal(request.searchParams.get('scope'), 'openid email offline_access api');
    assert.equal(request.searchParams.get('code_challenge_method'), 'S256');
    assert.deepEqual(Object.keys(machine.vaultEntries() ?? {}), [account]);
  });

  it('whoami and call send the token to --api, whose jose verifier accepts it', async (t) => {
    if (!needsChromium(t)) return;
    const whoami = await run('whoami');
    assert.equal(whoami.code, 0, whoami.stderr);
    const me = JSON.parse(whoami.stdout) as { sub: string; client_id: string; scope: string };
    assert.deepEqual(me, { sub: 'alice@example.com', client_id: FOREIGN_CLIENT_ID, scope: 'api' });
    const call = await run('call', '/api/me');
    assert.equal(call.code, 0, call.stderr);
    assert.equal((JSON.parse(call.stdout) as { sub: string }).sub, 'alice@example.com');
  });

  it('status names the issuer, the client and the API', async (t) => {
    if (!needsChromium(t)) return;
    const status = await run('status');
    assert.equal(status.code, 0, status.stderr);
    assert.match(
      status.stdout,
      new RegExp(`\\nissuer: ${idp.issuer} \\(client ${FOREIGN_CLIENT_ID}\\)\\napi: ${idp.api}\\n$`),
    );
  });

  it('refresh rotates the refresh token at the foreign provider', async (t) => {
    if (!needsChromium(t)) return;
    const before = machine.storedRefreshToken(account);
    const result = await run('refresh');
    assert.equal(result.code, 0, result.stderr);
    assert.notEqual(machine.storedRefreshToken(account), before);
    assert.equal((await refreshAt(idp, before)).body.error, 'invalid_grant', 'the rotated one is spent');
  });

  it('logout revokes the refresh token at the foreign provider (RFC 7009) and wipes it here', async (t) => {
    if (!needsChromium(t)) return;
    const refreshToken = machine.storedRefreshToken(account);
    const result = await run('logout');
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, 'signed out: the refresh token is revoked and removed from this machine\n');
    assert.equal(machine.vaultEntries(), null);
    assert.equal((await refreshAt(idp, refreshToken)).body.error, 'invalid_grant');
  });

  it('login with a confidential client exits 5 with the provider’s refusal, and stores nothing', async (t) => {
    if (!needsChromium(t)) return;
    const other = newMachine();
    const { result } = await loginThroughBrowser(t, other, [
      '--issuer',
      idp.issuer,
      '--client-id',
      CONFIDENTIAL_CLIENT_ID,
    ]);
    assert.equal(result.code, 5, result.stderr);
    assert.match(result.stderr, /the server refused the authorization code \(invalid_client/);
    assert.equal(other.vaultEntries(), null);
  });

  it('login keeps the sign-in when the API answers a web page, says so, and whoami then exits 6', async (t) => {
    if (!needsChromium(t)) return;
    const other = newMachine();
    const { result } = await loginThroughBrowser(t, other, [
      '--issuer',
      idp.issuer,
      '--client-id',
      FOREIGN_CLIENT_ID,
      '--api',
      `${idp.api}/html`,
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(
      result.stdout,
      `signed in as alice@example.com (oidc, ${idp.issuer}); token in file (${other.vaultFile})\n`,
    );
    assert.match(
      result.stderr,
      /note: signed in; GET http:\/\/127\.0\.0\.1:\d+\/html\/api\/me answered 200 with text\/html, not JSON/,
    );
    assert.ok(other.storedRefreshToken(account), 'the token is stored');
    const whoami = await authlab(['whoami'], { env: other.env() });
    assert.equal(whoami.code, 6, whoami.stderr);
    assert.match(whoami.stderr, /not JSON: is --api an authlab server\?/);
  });
});

describe('pnpm authlab with --issuer at a root issuer', () => {
  it('signs in and calls the API with the foreign token', async (t) => {
    if (!needsChromium(t)) return;
    const idp = await startForeignProvider();
    t.after(() => idp.close());
    const machine = newMachine();
    const port = await freePort();
    const { result, report } = await loginThroughBrowser(t, machine, [
      '--issuer',
      idp.issuer,
      '--client-id',
      FOREIGN_CLIENT_ID,
      '--api',
      idp.api,
      '--port',
      String(port),
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, new RegExp(`^signed in as alice@example\\.com \\(oidc, ${idp.issuer}\\)`));
    const opened = await report.waitFor((line) => (line.event === 'started' ? line.url : undefined), 'start');
    assert.equal(new URL(opened).port, String(port), '--port');
    const redirected = await report.waitFor((line) => (line.event === 'redirected' ? line : undefined), 'redirect');
    assert.equal(new URL(redirected.location).searchParams.get('redirect_uri'), `http://127.0.0.1:${port}/callback`);
    const call = await authlab(['call', '/api/me'], { env: machine.env() });
    assert.equal(call.code, 0, call.stderr);
    assert.equal((JSON.parse(call.stdout) as { client_id: string }).client_id, FOREIGN_CLIENT_ID);
  });
});

describe('pnpm authlab login: exit codes say what failed', () => {
  let idp: ForeignProvider;
  before(async () => {
    idp = await startForeignProvider({ issuerPath: '/realms/workshop' });
  });
  after(() => idp.close());
  const login = (...options: string[]) => {
    const machine = newMachine();
    return authlab(['login', '--no-browser', '--client-id', FOREIGN_CLIENT_ID, ...options], { env: machine.env() });
  };

  it('6 when there is no provider at --issuer (another realm, or the host without the realm)', async () => {
    const origin = new URL(idp.issuer).origin;
    for (const issuer of [`${origin}/realms/other`, origin]) {
      const result = await login('--issuer', issuer);
      assert.equal(result.code, 6, `${issuer}: ${result.stderr}`);
      assert.match(result.stderr, /no OpenID Provider at .*openid-configuration answered 404/);
    }
  });

  it('6 when the issuer differs from the provider’s by a trailing slash (issuers compare exactly)', async () => {
    const result = await login('--issuer', `${idp.issuer}/`);
    assert.equal(result.code, 6, result.stderr);
    assert.match(result.stderr, /names another issuer/);
  });

  it('4 when nothing answers at --issuer', async () => {
    const result = await login('--issuer', `http://127.0.0.1:${await freePort()}/realms/workshop`);
    assert.equal(result.code, 4, result.stderr);
    assert.match(result.stderr, /cannot reach the OpenID Provider at .*ECONNREFUSED/);
  });

  it('1 for a scope without openid, an option of the OIDC mode with --mode jwt, plain http off loopback, a bad --port', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--issuer', idp.issuer, '--scope', 'email offline_access'], /--scope must include openid/],
      [['--mode', 'jwt', '--issuer', idp.issuer], /--issuer is for --mode oidc/],
      [['--issuer', idp.issuer, '--api', 'http://api.example.com'], /refusing http:\/\/api\.example\.com: plain http/],
      [['--issuer', 'http://sso.example.com/realms/x'], /refusing http:\/\/sso\.example\.com\/realms\/x: plain http/],
      [['--issuer', idp.issuer, '--port', '0'], /--port takes a port number from 1 to 65535/],
    ];
    for (const [options, message] of cases) {
      const result = await login(...options);
      assert.equal(result.code, 1, `${options.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, message);
    }
  });
});
