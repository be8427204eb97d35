/**
 * Federated sign-in against foreign OpenID Providers shaped like the products people plug in: one
 * whose token endpoint takes only `client_secret_post` (an Auth0 application's default), one that
 * lists both methods but accepts only the one the client is registered with, and one that never
 * asserts `email_verified` (Entra ID), whose identities an operator links with `pnpm users link`.
 * Each is a standalone oidc-provider (software we did not write) on its own loopback port.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { chooseClientAuth } from '../src/modes/session/upstream-client.ts';
import { runCli } from './support/cli.ts';
import { Client, startTestServer, type TestServer } from './support/server.ts';
import { startUpstreamIdp, type UpstreamAccount, type UpstreamIdp } from './support/upstream-idp.ts';

const CALLBACK = '/session/oidc/callback';

interface Federation {
  idp: UpstreamIdp;
  server: TestServer;
  stop(): Promise<void>;
}

async function federate(
  idpOptions: Parameters<typeof startUpstreamIdp>[0],
  env: Record<string, string> = {},
): Promise<Federation> {
  const idp = await startUpstreamIdp(idpOptions);
  const server = await startTestServer({
    env: {
      OIDC_UPSTREAM_ISSUER: idp.issuer,
      OIDC_UPSTREAM_CLIENT_ID: idp.clientId,
      OIDC_UPSTREAM_CLIENT_SECRET: idp.clientSecret,
      ...env,
    },
  });
  await idp.register(`${server.url}${CALLBACK}`);
  return {
    idp,
    server,
    stop: async () => {
      await server.stop();
      await idp.close();
    },
  };
}

/**
 * A fresh browser signing in as `account` at the upstream (which needs no page: the test plays
 * the person there), following every redirect to where our callback sends it.
 */
async function signIn(
  { idp, server }: Federation,
  account: UpstreamAccount,
): Promise<{ browser: Client; landing: URL }> {
  idp.signInAs(account);
  const browser = new Client(server.url);
  let response = await browser.request('/session/oidc/start');
  for (let hop = 0; hop < 12; hop++) {
    const location = response.headers.get('location');
    assert.ok(location, `expected a redirect, got ${response.status} ${await response.text()}`);
    const url = new URL(location, response.url);
    if (url.pathname === CALLBACK) {
      const callback = await browser.request(url.pathname + url.search);
      assert.equal(callback.status, 303);
      return { browser, landing: new URL(callback.headers.get('location') ?? '', server.url) };
    }
    if (url.origin === server.url) return { browser, landing: url };
    response = await browser.request(url.href);
  }
  throw new Error('no redirect to the callback within 12 hops');
}

/** The server's `federated sign-in refused` log lines, parsed. */
const refusals = (server: TestServer) =>
  server
    .logs()
    .split('\n')
    .filter((line) => line.includes('federated sign-in refused'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);

describe('chooseClientAuth: the client authentication a provider supports', () => {
  it('takes client_secret_basic where listed or where nothing is listed (RFC 8414 §2 default)', () => {
    assert.equal(chooseClientAuth(undefined, undefined), 'client_secret_basic');
    assert.equal(chooseClientAuth(['client_secret_post', 'client_secret_basic'], undefined), 'client_secret_basic');
  });

  it('takes client_secret_post when the provider does not list basic', () => {
    assert.equal(chooseClientAuth(['private_key_jwt', 'client_secret_post'], undefined), 'client_secret_post');
  });

  it("takes the operator's choice when the provider lists it, and refuses one it does not list", () => {
    assert.equal(
      chooseClientAuth(['client_secret_basic', 'client_secret_post'], 'client_secret_post'),
      'client_secret_post',
    );
    assert.throws(
      () => chooseClientAuth(['client_secret_post'], 'client_secret_basic'),
      (error: { code?: string; message: string }) =>
        error.code === 'oidc_unavailable' && /does not list/.test(error.message),
    );
  });

  it('refuses a provider that supports neither secret method', () => {
    assert.throws(
      () => chooseClientAuth(['private_key_jwt', 'tls_client_auth'], undefined),
      (error: { code?: string }) => error.code === 'oidc_unavailable',
    );
  });
});

describe('federated sign-in with an upstream that accepts only client_secret_post', () => {
  let federation: Federation;
  before(async () => {
    federation = await federate({ clientAuthMethods: ['client_secret_post'] });
  });
  after(() => federation.stop());

  it('signs in, sending the secret in the body since basic is not listed', async () => {
    const { browser, landing } = await signIn(federation, {
      sub: 'alice-at-post',
      email: 'alice@example.com',
      email_verified: true,
    });
    assert.equal(landing.pathname, '/me', JSON.stringify(refusals(federation.server)));
    assert.equal((await browser.json('/session/me')).body.user.email, 'alice@example.com');
    assert.deepEqual(federation.idp.tokenRequestAuth(), ['body']);
  });

  it("logs the upstream's own error when the person declines there", async () => {
    federation.idp.decline();
    const browser = new Client(federation.server.url);
    const start = await browser.request('/session/oidc/start');
    let response = await browser.request(start.headers.get('location') ?? '');
    for (let hop = 0; hop < 12 && !(response.headers.get('location') ?? '').includes(CALLBACK); hop++) {
      response = await browser.request(new URL(response.headers.get('location') ?? '', response.url).href);
    }
    const callback = new URL(response.headers.get('location') ?? '', response.url);
    const landing = await browser.request(callback.pathname + callback.search);
    assert.equal(landing.headers.get('location'), '/login?error=access_denied');
    const refusal = refusals(federation.server).at(-1);
    assert.equal(refusal?.code, 'access_denied');
    assert.equal(refusal?.upstream_error, 'access_denied');
  });
});

describe('federated sign-in with an upstream that lists both methods', () => {
  const account = { sub: 'bob-at-auth0', email: 'bob@example.com', email_verified: true };
  const both: Parameters<typeof startUpstreamIdp>[0] = {
    clientAuthMethods: ['client_secret_post', 'client_secret_basic'],
  };

  it('uses client_secret_basic by default', async () => {
    const federation = await federate(both);
    try {
      const { landing } = await signIn(federation, account);
      assert.equal(landing.pathname, '/me', JSON.stringify(refusals(federation.server)));
      assert.deepEqual(federation.idp.tokenRequestAuth(), ['basic']);
    } finally {
      await federation.stop();
    }
  });

  it('uses client_secret_post when OIDC_UPSTREAM_CLIENT_AUTH says so (an Auth0 application set to Post)', async () => {
    const federation = await federate(both, { OIDC_UPSTREAM_CLIENT_AUTH: 'client_secret_post' });
    try {
      const { browser, landing } = await signIn(federation, account);
      assert.equal(landing.pathname, '/me', JSON.stringify(refusals(federation.server)));
      assert.equal((await browser.json('/session/me')).body.user.email, 'bob@example.com');
      assert.deepEqual(federation.idp.tokenRequestAuth(), ['body']);
    } finally {
      await federation.stop();
    }
  });

  it("logs the upstream's own error and description for a wrong client secret, and never the secret", async () => {
    const federation = await federate(both, { OIDC_UPSTREAM_CLIENT_SECRET: 'not-the-secret' });
    try {
      const { browser, landing } = await signIn(federation, account);
      assert.equal(landing.pathname, '/login');
      assert.equal(landing.searchParams.get('error'), 'oidc_failed');
      assert.equal((await browser.json('/session/me')).status, 401);
      const [refusal] = refusals(federation.server);
      assert.equal(refusal?.code, 'oidc_failed');
      assert.equal(refusal?.upstream_error, 'invalid_client');
      assert.equal(refusal?.upstream_error_description, 'client authentication failed');
      assert.doesNotMatch(federation.server.logs(), /not-the-secret/);
    } finally {
      await federation.stop();
    }
  });
});

describe('federated sign-in with an upstream that never asserts email_verified (Entra-style)', () => {
  let federation: Federation;
  let env: Record<string, string>;
  const carol = { sub: 'AAAAAAAAAAAAAAAAAAAAAJ3c-entra-pairwise', email: 'bob@example.com' };
  before(async () => {
    federation = await federate({ withoutEmailVerified: true });
    env = { DATA_DIR: federation.server.dataDir };
  });
  after(() => federation.stop());

  it('refuses the first sign-in, and logs the issuer and subject an operator needs to link it', async () => {
    const { browser, landing } = await signIn(federation, carol);
    assert.equal(landing.searchParams.get('error'), 'oidc_no_account');
    assert.equal((await browser.json('/session/me')).status, 401);
    const refusal = refusals(federation.server).at(-1);
    assert.equal(refusal?.issuer, federation.idp.issuer);
    assert.equal(refusal?.subject, carol.sub);
    assert.equal(refusal?.email_verified, 'undefined');
    assert.equal(
      refusal?.hint,
      `an operator can link it: pnpm users link <email> ${federation.idp.issuer} ${carol.sub}`,
    );
  });

  it('signs in once `pnpm users link` has linked the identity to the account', async () => {
    const linked = await runCli('users', ['link', 'Bob@Example.com', federation.idp.issuer, carol.sub], env);
    assert.equal(linked.code, 0, linked.stderr);
    assert.equal(linked.stdout, `bob@example.com: linked to ${carol.sub} at ${federation.idp.issuer}\n`);

    const { browser, landing } = await signIn(federation, carol);
    assert.equal(landing.pathname, '/me', JSON.stringify(refusals(federation.server)));
    assert.equal((await browser.json('/session/me')).body.user.email, 'bob@example.com');
    // Linking again to the same account changes nothing and says so the same way.
    assert.equal((await runCli('users', ['link', 'bob@example.com', federation.idp.issuer, carol.sub], env)).code, 0);
  });

  it('refuses to link an identity already linked to another account, or a second subject to one account', async () => {
    const taken = await runCli('users', ['link', 'alice@example.com', federation.idp.issuer, carol.sub], env);
    assert.equal(taken.code, 1);
    assert.match(taken.stderr, /already linked to bob@example\.com/);
    assert.equal(
      await federation.server.deps.store.identities.find(federation.idp.issuer, carol.sub),
      (await federation.server.deps.store.users.findByEmail('bob@example.com'))?.id,
    );

    const second = await runCli('users', ['link', 'bob@example.com', federation.idp.issuer, 'someone-else'], env);
    assert.equal(second.code, 1);
    assert.match(second.stderr, /bob@example\.com is already linked to another subject at/);
    assert.equal(await federation.server.deps.store.identities.find(federation.idp.issuer, 'someone-else'), null);
  });

  it('refuses an unknown account, an issuer that is not a URL, and a missing subject', async () => {
    const unknown = await runCli('users', ['link', 'nobody@example.com', federation.idp.issuer, 'x'], env);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no account has the email nobody@example\.com/);
    const notUrl = await runCli('users', ['link', 'alice@example.com', 'login.microsoftonline.com', 'x'], env);
    assert.equal(notUrl.code, 1);
    assert.match(notUrl.stderr, /is not an issuer URL/);
    const missing = await runCli('users', ['link', 'alice@example.com', federation.idp.issuer], env);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /usage: pnpm users link <email> <issuer> <subject>/);
  });

  it('`pnpm users unlink` removes the link and ends the sessions it may have opened', async () => {
    const { browser } = await signIn(federation, carol);
    assert.equal((await browser.json('/session/me')).status, 200, 'signed in through the linked identity');

    const unlinked = await runCli('users', ['unlink', 'bob@example.com', federation.idp.issuer], env);
    assert.equal(unlinked.code, 0, unlinked.stderr);
    assert.equal(
      unlinked.stdout,
      `bob@example.com: unlinked from ${carol.sub} at ${federation.idp.issuer}; every session and token it held has ended\n`,
    );
    assert.equal((await browser.json('/session/me')).status, 401, 'the session opened through it has ended');
    const again = await signIn(federation, carol);
    assert.equal(again.landing.searchParams.get('error'), 'oidc_no_account', 'the identity no longer signs in');

    const nothing = await runCli('users', ['unlink', 'bob@example.com', federation.idp.issuer], env);
    assert.equal(nothing.code, 1);
    assert.match(nothing.stderr, /bob@example\.com has no link at .*; nothing was changed/);
    const notUrl = await runCli('users', ['unlink', 'bob@example.com', 'login.microsoftonline.com'], env);
    assert.equal(notUrl.code, 1);
    assert.match(notUrl.stderr, /is not an issuer URL/);
  });
});
