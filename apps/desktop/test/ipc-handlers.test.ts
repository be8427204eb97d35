import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type AppSnapshot, CHANNELS } from '../src/core/api.ts';
import { createIpcHandlers, type DesktopActions, invokeHandler } from '../src/core/ipc-handlers.ts';
import { APP_URL, type IpcSender } from '../src/core/window-policy.ts';
import { APP_SENDER } from './support/app-sender.ts';

const SNAPSHOT = { version: 1 } as AppSnapshot;

/** Actions that only record what reached them. */
function recordingActions() {
  const calls: Array<{ action: string; request?: unknown }> = [];
  const record =
    (action: string) =>
    async (request?: unknown): Promise<AppSnapshot> => {
      calls.push(request === undefined ? { action } : { action, request });
      return SNAPSHOT;
    };
  const actions: DesktopActions = {
    getState: record('getState'),
    acceptWeakStorage: record('acceptWeakStorage'),
    signInWithBrowser: record('signInWithBrowser'),
    cancelBrowserSignIn: record('cancelBrowserSignIn'),
    signInWithPassword: record('signInWithPassword'),
    callApi: record('callApi'),
    refresh: record('refresh'),
    signOut: record('signOut'),
  };
  return { actions, calls };
}

/** Arguments each channel accepts, so only the sender differs in the sender tests. */
const VALID_ARGS: Record<string, unknown[]> = {
  [CHANNELS.getState]: [],
  [CHANNELS.acceptWeakStorage]: [{ accept: true }],
  [CHANNELS.signInWithBrowser]: [],
  [CHANNELS.cancelBrowserSignIn]: [],
  [CHANNELS.signInWithPassword]: [{ mode: 'jwt', email: 'alice@example.com', password: 'secret' }],
  [CHANNELS.callApi]: [{ mode: 'oidc' }],
  [CHANNELS.refresh]: [{ mode: 'session' }],
  [CHANNELS.signOut]: [{ mode: 'jwt', everywhere: true }],
};

describe('IPC handlers', () => {
  it('registers one handler per channel of the preload API', () => {
    const { actions } = recordingActions();
    const handlers = createIpcHandlers({ appUrl: APP_URL, actions });
    assert.deepEqual([...handlers.keys()].sort(), Object.values(CHANNELS).sort());
  });

  it('acts on messages from the app’s own top-level page', async () => {
    const { actions, calls } = recordingActions();
    const handlers = createIpcHandlers({ appUrl: APP_URL, actions });
    for (const [channel, args] of Object.entries(VALID_ARGS)) {
      const result = await invokeHandler(handlers, channel, APP_SENDER, args);
      assert.deepEqual(result, { ok: true, value: SNAPSHOT }, channel);
    }
    assert.equal(calls.length, Object.keys(VALID_ARGS).length);
    assert.deepEqual(calls.find((call) => call.action === 'signInWithPassword')?.request, {
      mode: 'jwt',
      email: 'alice@example.com',
      password: 'secret',
    });
  });

  it('refuses every channel to a sender that is not the app’s own page, before acting', async () => {
    const strangers: IpcSender[] = [
      { url: 'https://evil.example/index.html', mainFrame: true },
      { url: 'http://127.0.0.1:4000/', mainFrame: true },
      { url: 'app://other/index.html', mainFrame: true },
      { url: 'app://user:pass@authlab/index.html', mainFrame: true },
      { url: 'file:///usr/lib/authlab/index.html', mainFrame: true },
      { url: 'app://authlab/index.html', mainFrame: false },
      { url: '', mainFrame: true },
      { url: 'not a url', mainFrame: true },
    ];
    const { actions, calls } = recordingActions();
    const refused: string[] = [];
    const handlers = createIpcHandlers({
      appUrl: APP_URL,
      actions,
      onRefused: (channel, reason) => refused.push(`${channel} ${reason}`),
    });
    for (const sender of strangers) {
      for (const [channel, args] of Object.entries(VALID_ARGS)) {
        const result = await invokeHandler(handlers, channel, sender, args);
        assert.equal(result.ok, false, `${channel} from ${sender.url}`);
        assert.equal(!result.ok && result.error.code, 'forbidden_sender');
      }
    }
    assert.deepEqual(calls, [], 'no action ran');
    assert.equal(refused.length, strangers.length * Object.keys(VALID_ARGS).length);
    assert.match(refused[0] ?? '', /evil\.example/);
  });

  it('refuses malformed arguments with a reason, without acting and without echoing the password', async () => {
    const { actions, calls } = recordingActions();
    const handlers = createIpcHandlers({ appUrl: APP_URL, actions });
    const bad: Array<[string, unknown[]]> = [
      [CHANNELS.getState, [{ extra: true }]],
      [CHANNELS.acceptWeakStorage, []],
      [CHANNELS.acceptWeakStorage, [{ accept: false }]],
      [CHANNELS.signInWithPassword, [{ mode: 'jwt', email: 'alice@example.com' }]],
      [CHANNELS.signInWithPassword, [{ mode: 'oidc', email: 'alice@example.com', password: 'p' }]],
      [CHANNELS.signInWithPassword, [{ mode: 'jwt', email: 'not-an-email', password: 'p' }]],
      [CHANNELS.signInWithPassword, [{ mode: 'jwt', email: ['alice@example.com'], password: 'p' }]],
      [CHANNELS.signInWithPassword, [{ mode: 'jwt', email: 'alice@example.com', password: 'x'.repeat(1025) }]],
      [CHANNELS.signInWithPassword, [{ mode: 'jwt', email: 'alice@example.com', password: 'p', admin: true }]],
      [CHANNELS.callApi, []],
      [CHANNELS.callApi, [{ mode: 'admin' }]],
      [CHANNELS.callApi, ['oidc']],
      [CHANNELS.refresh, [{ mode: 'jwt' }, { mode: 'oidc' }]],
      [CHANNELS.signOut, [{ mode: 'jwt', everywhere: 'yes' }]],
      [CHANNELS.signOut, [{ mode: 'jwt' }]],
    ];
    for (const [channel, args] of bad) {
      const result = await invokeHandler(handlers, channel, APP_SENDER, args);
      assert.equal(result.ok, false, `${channel} ${JSON.stringify(args).slice(0, 80)}`);
      if (result.ok) continue;
      assert.equal(result.error.code, 'invalid_arguments');
      assert.match(result.error.message, /^Refused: the request was malformed/);
      assert.doesNotMatch(result.error.message, /x{20}/, 'the password is not echoed');
    }
    assert.deepEqual(calls, []);
  });

  it('refuses a channel that does not exist', async () => {
    const { actions } = recordingActions();
    const handlers = createIpcHandlers({ appUrl: APP_URL, actions });
    const result = await invokeHandler(handlers, 'authlab:read-file', APP_SENDER, ['/etc/passwd']);
    assert.equal(!result.ok && result.error.code, 'unknown_channel');
  });

  it('trims the email address and passes exactly the validated request on', async () => {
    const { actions, calls } = recordingActions();
    const handlers = createIpcHandlers({ appUrl: APP_URL, actions });
    await invokeHandler(handlers, CHANNELS.signInWithPassword, APP_SENDER, [
      { mode: 'session', email: '  alice@example.com ', password: ' spaces count ' },
    ]);
    assert.deepEqual(calls[0]?.request, { mode: 'session', email: 'alice@example.com', password: ' spaces count ' });
  });

  it('turns a failing action into plain words, with no stack trace', async () => {
    const { actions } = recordingActions();
    actions.callApi = async () => {
      throw new TypeError('fetch failed');
    };
    const handlers = createIpcHandlers({ appUrl: APP_URL, actions });
    const result = await invokeHandler(handlers, CHANNELS.callApi, APP_SENDER, [{ mode: 'jwt' }]);
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.equal(result.error.message, 'Something went wrong: fetch failed');
    assert.ok(result.error.action.length > 0);
    assert.doesNotMatch(JSON.stringify(result), /at .*\.ts:\d+/);
  });
});
