import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEMO_PASSWORD, type ServerProcess, startServerProcess } from '@authlab/testkit';
import { type AppSnapshot, CHANNELS, type Result } from '../src/core/api.ts';
import { watchLifeEvents } from '../src/core/life-events.ts';
import { APP_SENDER } from './support/app-sender.ts';
import { startTestCore, type TestCore } from './support/core.ts';
import { FakeSafeStorage } from './support/fake-safe-storage.ts';

const ALICE = { email: 'alice@example.com', password: DEMO_PASSWORD };

let server: ServerProcess;
before(async () => {
  // The server as its users meet it: its own process. Request lines logged, to see who asked what.
  server = await startServerProcess({ env: { LOG_LEVEL: 'info' } });
});
after(async () => {
  await server?.stop();
});

const ok = (result: Result<AppSnapshot>): AppSnapshot => {
  assert.equal(result.ok, true, result.ok ? '' : JSON.stringify(result.error));
  return (result as { ok: true; value: AppSnapshot }).value;
};

const signIn = (test: TestCore, mode: 'jwt' | 'session', password = ALICE.password) =>
  test.core.invoke(CHANNELS.signInWithPassword, APP_SENDER, [{ mode, email: ALICE.email, password }]);

/** What the vault file holds for an account, decrypted with the fake key store's key. */
async function stored(test: TestCore, account: string): Promise<string | null> {
  const file = JSON.parse(await readFile(join(test.userDataDir, 'credentials.json'), 'utf8')) as {
    entries: Record<string, string>;
  };
  const entry = file.entries[account];
  if (entry === undefined) return null;
  return (await test.safeStorage.decryptStringAsync(Buffer.from(entry, 'base64'))).result;
}

describe('desktop core against a real server', () => {
  it('signs in with JWT: the window sees claims and the user, never a token', async () => {
    const test = await startTestCore({ server: server.url });
    try {
      await test.core.start();
      const snapshot = ok(await signIn(test, 'jwt'));
      const panel = snapshot.panels.jwt;
      assert.equal(panel.status, 'signed-in');
      assert.equal(panel.user?.email, ALICE.email);
      assert.equal(panel.claims?.iss, server.url);
      assert.ok(typeof panel.expiresAt === 'number' && panel.expiresAt > Date.now());
      assert.match(panel.storage, /encrypted with safeStorage \(gnome_libsecret\)/);
      const secret = JSON.parse((await stored(test, `jwt:${server.url}`)) ?? '{}') as { refreshToken?: string };
      assert.ok(secret.refreshToken, 'the refresh token is in the vault');
      assert.doesNotMatch(JSON.stringify(test.latest()), new RegExp(secret.refreshToken));
      assert.doesNotMatch(JSON.stringify(snapshot), /eyJ[\w-]+\.eyJ[\w-]+\./, 'no JWT in what the window gets');
      assert.equal(snapshot.timeline[0]?.kind, 'sign-in');
    } finally {
      await test.close();
    }
  });

  it('keeps the session cookie in the main process, out of everything the window gets', async () => {
    const test = await startTestCore({ server: server.url });
    try {
      const snapshot = ok(await signIn(test, 'session'));
      assert.equal(snapshot.panels.session.status, 'signed-in');
      assert.equal(snapshot.panels.session.user?.email, ALICE.email);
      const jar = JSON.parse((await stored(test, `session:${server.url}`)) ?? '{}') as Record<string, string>;
      const [cookieValue] = Object.values(jar);
      assert.ok(cookieValue && cookieValue.length > 20, 'a session cookie is saved (encrypted)');
      assert.doesNotMatch(JSON.stringify(test.latest()), new RegExp(cookieValue.slice(0, 24)));
      const called = ok(await test.core.invoke(CHANNELS.callApi, APP_SENDER, [{ mode: 'session' }]));
      const { lastCall } = called.panels.session;
      assert.equal(lastCall?.status, 200);
      assert.equal((lastCall?.body as { mode?: string } | undefined)?.mode, 'session');
    } finally {
      await test.close();
    }
  });

  it('says a wrong password in plain words and stays signed out', async () => {
    const test = await startTestCore({ server: server.url });
    try {
      const result = await signIn(test, 'jwt', 'wrong password');
      assert.equal(result.ok, false);
      assert.equal(!result.ok && result.error.message, 'Wrong email or password.');
      const panel = test.core.snapshot().panels.jwt;
      assert.equal(panel.status, 'signed-out');
      assert.equal(panel.error?.code, 'invalid_credentials');
    } finally {
      await test.close();
    }
  });

  it('refuses to sign in on basic_text until the warning is accepted, and asks the server nothing before', async () => {
    const test = await startTestCore({ server: server.url, safeStorage: new FakeSafeStorage('basic_text') });
    try {
      await test.core.start();
      assert.equal(test.core.snapshot().storage.status, 'needs-consent');
      const logsBefore = (await server.outputUntilNow()).length;
      for (const mode of ['jwt', 'session'] as const) {
        const refused = await signIn(test, mode);
        assert.equal(!refused.ok && refused.error.code, 'storage_needs_consent');
        assert.match(!refused.ok ? refused.error.action : '', /accept the storage warning/);
      }
      const logged = (await server.outputUntilNow()).slice(logsBefore);
      assert.match(logged, /"path":"\/healthz"/, 'the request log is read');
      assert.doesNotMatch(logged, /\/(jwt|session)\/login/, 'no sign-in reached the server');
      const accepted = ok(await test.core.invoke(CHANNELS.acceptWeakStorage, APP_SENDER, [{ accept: true }]));
      assert.equal(accepted.storage.status, 'accepted-weak');
      assert.equal(ok(await signIn(test, 'jwt')).panels.jwt.status, 'signed-in');
    } finally {
      await test.close();
    }
  });

  it('signs a panel in again at the next start from the vault', async () => {
    const safeStorage = new FakeSafeStorage();
    const first = await startTestCore({ server: server.url, safeStorage });
    ok(await signIn(first, 'jwt'));
    ok(await signIn(first, 'session'));
    first.core.close();
    const second = await startTestCore({ server: server.url, safeStorage, userDataDir: first.userDataDir });
    try {
      await second.core.start();
      const { panels, timeline } = second.core.snapshot();
      assert.equal(panels.jwt.status, 'signed-in');
      assert.equal(panels.jwt.user?.email, ALICE.email);
      assert.equal(panels.session.status, 'signed-in');
      assert.deepEqual(
        timeline
          .filter((entry) => entry.kind === 'restored')
          .map((entry) => entry.mode)
          .sort(),
        ['jwt', 'session'],
      );
    } finally {
      await first.close();
    }
  });

  it('keeps the tokens when the network is down, and refreshes when it returns', async () => {
    let offline = false;
    const fetchUnlessOffline: typeof fetch = (input, init) =>
      offline ? Promise.reject(new TypeError('fetch failed')) : fetch(input, init);
    const test = await startTestCore({
      server: server.url,
      fetch: fetchUnlessOffline,
      tokenTiming: { retries: 1, backoffMs: 1, sleep: async () => {} },
    });
    try {
      ok(await signIn(test, 'jwt'));
      offline = true;
      const failed = await test.core.invoke(CHANNELS.refresh, APP_SENDER, [{ mode: 'jwt' }]);
      assert.equal(!failed.ok && failed.error.code, 'refresh_unavailable');
      const panel = test.core.snapshot().panels.jwt;
      assert.equal(panel.status, 'signed-in', 'offline is not signed out');
      assert.match(panel.error?.action ?? '', /stay signed in/);
      assert.ok(await stored(test, `jwt:${server.url}`), 'the refresh token is kept');

      const powerMonitor = new FakePowerMonitor();
      const poll = manualPoll();
      let online = false;
      const stop = watchLifeEvents({
        powerMonitor,
        isOnline: () => online,
        refreshAll: (reason) => test.core.refreshAll(reason),
        every: poll.every,
      });
      offline = false;
      online = true;
      poll.tick();
      const refreshed = await test.panelWhen('jwt', (p) => p.refreshCount === 1 && p.error === null);
      assert.equal(refreshed.status, 'signed-in');
      assert.match(
        test.core
          .snapshot()
          .timeline.map((entry) => entry.text)
          .join('\n'),
        /The network is back/,
      );
      stop();
    } finally {
      await test.close();
    }
  });

  it('signs out here when the server cannot be reached, and says the server was not told', async () => {
    let offline = false;
    const test = await startTestCore({
      server: server.url,
      fetch: (input, init) => (offline ? Promise.reject(new TypeError('fetch failed')) : fetch(input, init)),
    });
    try {
      ok(await signIn(test, 'jwt'));
      ok(await signIn(test, 'session'));
      offline = true;
      await test.core.invoke(CHANNELS.signOut, APP_SENDER, [{ mode: 'jwt', everywhere: false }]);
      await test.core.invoke(CHANNELS.signOut, APP_SENDER, [{ mode: 'session', everywhere: false }]);
      for (const mode of ['jwt', 'session'] as const) {
        const panel = test.core.snapshot().panels[mode];
        assert.equal(panel.status, 'signed-out', mode);
        assert.equal(panel.error?.code, 'signed_out_offline', mode);
        assert.match(panel.error?.message ?? '', /server could not be reached/);
        assert.equal(await stored(test, `${mode}:${server.url}`), null, `${mode} wiped locally`);
      }
    } finally {
      await test.close();
    }
  });

  it('refreshes every signed-in panel when the computer wakes up', async () => {
    const test = await startTestCore({ server: server.url });
    try {
      ok(await signIn(test, 'jwt'));
      ok(await signIn(test, 'session'));
      const powerMonitor = new FakePowerMonitor();
      const stop = watchLifeEvents({
        powerMonitor,
        isOnline: () => true,
        refreshAll: (reason) => test.core.refreshAll(reason),
        every: manualPoll().every,
      });
      powerMonitor.emit('resume');
      await test.panelWhen('jwt', (p) => p.refreshCount === 1);
      await test.panelWhen('session', (p) => p.refreshCount === 1);
      assert.equal(test.core.snapshot().panels.oidc.refreshCount, 0, 'a signed-out panel is left alone');
      stop();
      powerMonitor.emit('resume');
      assert.equal(powerMonitor.listeners, 0, 'stopping removes the listener');
    } finally {
      await test.close();
    }
  });

  it('signs the other panels out, with the reason, when one signs out everywhere', async () => {
    const test = await startTestCore({ server: server.url });
    try {
      ok(await signIn(test, 'jwt'));
      ok(await signIn(test, 'session'));
      const after = ok(await test.core.invoke(CHANNELS.signOut, APP_SENDER, [{ mode: 'session', everywhere: true }]));
      assert.equal(after.panels.session.status, 'signed-out');
      assert.equal(after.panels.session.error, null);
      assert.equal(after.panels.jwt.status, 'signed-out');
      assert.equal(after.panels.jwt.error?.code, 'invalid_grant');
      assert.match(after.panels.jwt.error?.message ?? '', /ended this sign-in/);
      assert.ok(after.timeline.some((entry) => entry.mode === 'jwt' && entry.kind === 'revoked'));
      assert.equal(await stored(test, `jwt:${server.url}`), null, 'the revoked refresh token is wiped');
      assert.equal(await stored(test, `session:${server.url}`), null);
    } finally {
      await test.close();
    }
  });
});

class FakePowerMonitor {
  readonly #handlers = new Set<() => void>();
  get listeners() {
    return this.#handlers.size;
  }
  on(_event: 'resume', listener: () => void) {
    this.#handlers.add(listener);
  }
  off(_event: 'resume', listener: () => void) {
    this.#handlers.delete(listener);
  }
  emit(_event: 'resume') {
    for (const handler of this.#handlers) handler();
  }
}

/** A polling timer the test steps by hand. */
function manualPoll() {
  let task: (() => void) | null = null;
  return {
    every: (_ms: number, run: () => void) => {
      task = run;
      return () => {
        task = null;
      };
    },
    tick: () => task?.(),
  };
}
