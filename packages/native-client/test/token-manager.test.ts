import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  authorize,
  CookieJarClient,
  DEMO_PASSWORD,
  type ManualClock,
  manualClock,
  type ServerProcess,
  startServerProcess,
  tokenRequest,
} from '@authlab/testkit';
import {
  InvalidGrantError,
  JwtSource,
  MemoryVault,
  type NativeAuthError,
  OidcSource,
  TokenManager,
  type TokenManagerEvents,
  type Vault,
} from '../src/index.ts';

/** A vault that remembers in memory and logs every write, in order with the HTTP log. */
class RecordingVault implements Vault {
  readonly kind = 'recording';
  readonly entries = new Map<string, string>();
  readonly log: string[];
  constructor(log: string[]) {
    this.log = log;
  }
  async get(account: string) {
    return this.entries.get(account) ?? null;
  }
  async set(account: string, secret: string) {
    this.log.push(`vault.set ${JSON.parse(secret).refreshToken.slice(0, 8)}`);
    this.entries.set(account, secret);
  }
  async delete(account: string) {
    this.log.push('vault.delete');
    this.entries.delete(account);
  }
}

/** fetch that logs each request's path (and the Bearer token's tail), and can simulate an outage. */
function recordingFetch(log: string[]) {
  const state = { down: 0 };
  const wrapped: typeof fetch = async (input, init) => {
    const url = new URL(String(input instanceof Request ? input.url : input));
    const auth = new Headers(init?.headers).get('authorization');
    log.push(`${init?.method ?? 'GET'} ${url.pathname}${auth ? ` bearer:${auth.slice(-8)}` : ''}`);
    if (state.down > 0 && url.pathname.endsWith('/refresh')) {
      state.down--;
      throw new TypeError('fetch failed (simulated outage)');
    }
    return fetch(input, init);
  };
  return { fetch: wrapped, state };
}

function events(manager: TokenManager) {
  const seen: Array<{ name: keyof TokenManagerEvents; payload: unknown }> = [];
  for (const name of ['signed-in', 'refreshed', 'refresh-failed', 'signed-out'] as const) {
    manager.on(name, (payload: unknown) => seen.push({ name, payload }));
  }
  return seen;
}

describe('TokenManager in the JWT mode', () => {
  let server: ServerProcess;
  /** How far the test has moved the server's clock; the server's "now" is real time plus this. */
  let serverAhead = 0;
  const serverNow = () => Date.now() + serverAhead;
  const advanceServer = async (ms: number) => {
    serverAhead += ms;
    await server.advanceClock(ms);
  };
  before(async () => {
    // The server as its own process; its wall clock moves when the test says (expiry without sleeping).
    server = await startServerProcess({ shiftableClock: true });
  });
  after(() => server.stop());

  async function signedInManager(options: { retries?: number } = {}) {
    const log: string[] = [];
    const clientClock = manualClock(serverNow());
    const { fetch: recorded, state } = recordingFetch(log);
    const source = new JwtSource({ server: server.url, fetch: recorded });
    const vault = new RecordingVault(log);
    const sleeps: number[] = [];
    const manager = new TokenManager({
      source,
      vault,
      account: `jwt:${server.url}`,
      clock: clientClock,
      fetch: recorded,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      ...(options.retries !== undefined ? { retries: options.retries } : {}),
    });
    const seen = events(manager);
    await manager.signIn(await source.login('alice@example.com', DEMO_PASSWORD, 'test device'));
    return { manager, vault, log, clientClock, state, sleeps, seen, source };
  }

  const advanceBoth = async (clientClock: ManualClock, ms: number) => {
    clientClock.advance(ms);
    await advanceServer(ms);
  };

  it('shares one refresh among 50 concurrent calls across an expiry, and none of them sees a 401', async () => {
    const { manager, log, clientClock } = await signedInManager();
    await advanceBoth(clientClock, 15 * 60_000 + 1_000);
    const responses = await Promise.all(Array.from({ length: 50 }, () => manager.fetch(`${server.url}/api/me`)));
    assert.deepEqual(
      responses.map((r) => r.status),
      Array(50).fill(200),
    );
    assert.equal(log.filter((line) => line === 'POST /jwt/refresh').length, 1);
    manager.close();
  });

  it('refreshes within the margin before expiry: min(30 s, a fifth of the lifetime)', async () => {
    const { manager, log, clientClock } = await signedInManager();
    await advanceBoth(clientClock, 15 * 60_000 - 31_000);
    await manager.getAccessToken();
    assert.equal(log.filter((line) => line === 'POST /jwt/refresh').length, 0, 'not yet: 31 s left');
    await advanceBoth(clientClock, 2_000);
    await manager.getAccessToken();
    assert.equal(log.filter((line) => line === 'POST /jwt/refresh').length, 1, '29 s left: inside the margin');
  });

  it('persists the rotated refresh token before the new access token is used', async () => {
    const { manager, log, clientClock } = await signedInManager();
    await advanceBoth(clientClock, 16 * 60_000);
    log.length = 0;
    const response = await manager.fetch(`${server.url}/api/me`);
    assert.equal(response.status, 200);
    const refreshAt = log.indexOf('POST /jwt/refresh');
    const persistedAt = log.findIndex((line) => line.startsWith('vault.set'));
    const usedAt = log.findIndex((line) => line.startsWith('GET /api/me'));
    assert.ok(refreshAt >= 0 && refreshAt < persistedAt && persistedAt < usedAt, log.join('\n'));
  });

  it('refreshes once and retries once when the server answers 401 to a token it considers expired', async () => {
    const { manager, log } = await signedInManager();
    await advanceServer(16 * 60_000); // only the server's clock moves: the client still trusts its token
    const response = await manager.fetch(`${server.url}/api/me`);
    assert.equal(response.status, 200);
    assert.deepEqual(
      log
        .filter((line) => line.startsWith('GET /api/me') || line === 'POST /jwt/refresh')
        .map((l) => l.split(' ').slice(0, 2).join(' ')),
      ['GET /api/me', 'POST /jwt/refresh', 'GET /api/me'],
    );
  });

  it('keeps the tokens and retries with backoff while the network is down', async () => {
    const { manager, vault, clientClock, state, sleeps, seen } = await signedInManager();
    const stored = [...vault.entries.values()][0];
    await advanceBoth(clientClock, 16 * 60_000);
    state.down = 2;
    await manager.getAccessToken();
    assert.deepEqual(sleeps, [500, 1000], 'exponential backoff between attempts');
    assert.equal(seen.filter((e) => e.name === 'refresh-failed').length, 2);
    assert.equal(seen.filter((e) => e.name === 'signed-out').length, 0, 'offline is not signed out');

    // Down for longer than the retries: the caller gets an error, the vault keeps its token.
    await advanceBoth(clientClock, 16 * 60_000);
    state.down = 10;
    await assert.rejects(manager.getAccessToken(), (error: NativeAuthError) => error.code === 'refresh_unavailable');
    assert.equal(vault.entries.size, 1);
    assert.notEqual([...vault.entries.values()][0], stored, 'the successful refresh had rotated it');
    state.down = 0;
    assert.ok(await manager.getAccessToken(), 'back online: the kept token still works');
  });

  it('signs out with a reason and an empty vault when the server revoked the family', async () => {
    const { manager, vault, clientClock, seen } = await signedInManager();
    // Revoked from elsewhere, as a person does from another device (DELETE /jwt/devices/:id).
    const elsewhere = await new JwtSource({ server: server.url }).login('alice@example.com', DEMO_PASSWORD, 'other');
    const bearer = { authorization: `Bearer ${elsewhere.accessToken}` };
    const listed = await fetch(`${server.url}/jwt/devices`, { headers: bearer });
    const { devices } = (await listed.json()) as { devices: Array<{ id: string; current: boolean }> };
    const others = devices.filter((device) => !device.current);
    assert.ok(others.length > 0, 'the manager’s device is listed');
    for (const device of others) {
      const revoked = await fetch(`${server.url}/jwt/devices/${device.id}`, { method: 'DELETE', headers: bearer });
      assert.equal(revoked.status, 204);
    }
    await advanceBoth(clientClock, 16 * 60_000);
    await assert.rejects(manager.getAccessToken(), InvalidGrantError);
    assert.equal(vault.entries.size, 0);
    const signedOut = seen.find((e) => e.name === 'signed-out');
    assert.equal((signedOut?.payload as { reason: string } | undefined)?.reason, 'revoked');
    assert.equal(manager.status().signedIn, false);
  });

  it('revokes the refresh token at the server on sign-out and wipes the vault', async () => {
    const { manager, vault } = await signedInManager();
    const refreshToken = JSON.parse([...vault.entries.values()][0] ?? '{}').refreshToken;
    const result = await manager.signOut();
    assert.equal(result.revoked, true);
    assert.equal(vault.entries.size, 0);
    const replay = await new CookieJarClient(server.url).request('/jwt/refresh', {
      method: 'POST',
      json: { refresh_token: refreshToken },
    });
    assert.equal(replay.status, 401, 'the old refresh token is dead server-side');
  });

  it('restores a session from the vault in a new process (a new manager)', async () => {
    const { vault } = await signedInManager();
    const manager = new TokenManager({
      source: new JwtSource({ server: server.url }),
      vault,
      account: `jwt:${server.url}`,
      clock: serverNow,
    });
    assert.equal(await manager.isSignedIn(), true);
    const me = await manager.fetch(`${server.url}/api/me`);
    assert.equal(((await me.json()) as { mode: string }).mode, 'jwt');
  });
});

describe('TokenManager in the OIDC mode', () => {
  let server: ServerProcess;
  before(async () => {
    server = await startServerProcess();
  });
  after(() => server.stop());

  it('refreshes through the provider, revokes on sign-out, and offers the end-session URL', async () => {
    const result = await authorize(new CookieJarClient(server.url));
    assert.ok(result.url);
    const tokens = await tokenRequest(new CookieJarClient(server.url), {
      grant_type: 'authorization_code',
      code: result.params?.get('code') ?? '',
      redirect_uri: result.redirectUri,
      code_verifier: result.verifier,
    });
    const log: string[] = [];
    const vault = new RecordingVault(log);
    const source = new OidcSource({ issuer: `${server.url}/oidc`, clientId: 'authlab-desktop' });
    const manager = new TokenManager({ source, vault, account: `oidc:${server.url}` });
    await manager.signIn({
      accessToken: tokens.body.access_token,
      expiresIn: tokens.body.expires_in,
      refreshToken: tokens.body.refresh_token,
      idToken: tokens.body.id_token,
    });
    const first = await manager.refresh();
    assert.notEqual(first, tokens.body.access_token);
    const me = await manager.fetch(`${server.url}/api/me`);
    assert.equal(((await me.json()) as { mode: string }).mode, 'oidc');
    const rotated = JSON.parse([...vault.entries.values()][0] ?? '{}').refreshToken;
    assert.notEqual(rotated, tokens.body.refresh_token, 'the provider rotated the refresh token');

    const out = await manager.signOut();
    assert.equal(out.revoked, true);
    assert.match(out.endSessionUrl ?? '', /\/oidc\/session\/end\?.*id_token_hint=/);
    const replay = await tokenRequest(new CookieJarClient(server.url), {
      grant_type: 'refresh_token',
      refresh_token: rotated,
    });
    assert.equal(replay.body.error, 'invalid_grant', 'revoked at the provider (RFC 7009)');
  });
});

describe('TokenManager options', () => {
  it('an option passed as undefined takes its default instead of replacing it', async () => {
    const refreshedWith: string[] = [];
    const manager = new TokenManager({
      source: {
        mode: 'jwt',
        refresh: async (refreshToken) => {
          refreshedWith.push(refreshToken);
          return { accessToken: 'access-2', expiresIn: 900, refreshToken: 'refresh-2' };
        },
        revoke: async () => {},
      },
      vault: new MemoryVault(),
      account: 'jwt:http://localhost:4000',
      clock: undefined,
      marginMs: undefined,
      retries: undefined,
      backoffMs: undefined,
      sleep: undefined,
      fetch: undefined,
      autoRefresh: undefined,
    });
    await manager.signIn({ accessToken: 'access-1', expiresIn: 900, refreshToken: 'refresh-1' });
    assert.equal(await manager.getAccessToken(), 'access-1', 'fresh for 900 s on the default clock and margin');
    assert.equal(await manager.refresh(), 'access-2');
    assert.deepEqual(refreshedWith, ['refresh-1']);
    assert.ok((manager.status().accessTokenExpiresAt ?? 0) > Date.now());
  });
});
