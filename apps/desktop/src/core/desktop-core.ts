import { join } from 'node:path';
import { JwtSource, LoopbackAuthorizer, NativeAuthError, OidcSource } from '@authlab/native-client';
import { Recording, recordingFetch, shownFields } from '@authlab/sequence';
import type { AppSnapshot, Channel, Mode, Result } from './api.ts';
import { AppState } from './app-state.ts';
import type { OidcSettings } from './config.ts';
import { createIpcHandlers, type DesktopActions, type IpcHandler, invokeHandler } from './ipc-handlers.ts';
import { toPlainError } from './plain-errors.ts';
import { SafeStorageVault } from './safe-storage-vault.ts';
import { SessionClient } from './session-client.ts';
import { SessionPanel } from './session-panel.ts';
import { type SafeStorageLike, StoragePolicy } from './storage-policy.ts';
import { TokenPanel, type TokenTiming } from './token-panel.ts';
import { APP_URL, type ExternalOpener, guardedOpener, type IpcSender, isLoopbackStartLink } from './window-policy.ts';

/** The public native client the server registers for desktop apps (RFC 8252). */
export const DESKTOP_CLIENT_ID = 'authlab-desktop';

export interface DesktopCoreOptions {
  /** The authlab server's origin (its `PUBLIC_URL`), validated by `loadDesktopConfig`. */
  server: string;
  /** Another OpenID Provider for the OIDC panel (validated by `loadDesktopConfig`); default the server's. */
  oidc?: OidcSettings;
  /** Where the window's page lives; the only IPC sender accepted. Default `app://authlab/index.html`. */
  appUrl?: string;
  /** Electron's `app.getPath('userData')`: the encrypted credentials and the settings. */
  userDataDir: string;
  safeStorage: SafeStorageLike;
  platform: NodeJS.Platform;
  /** `shell.openExternal`; only the server's and issuer's http(s) URLs ever reach it. */
  openExternal: ExternalOpener;
  /** Shown at the server in the device list (JWT mode). */
  deviceName?: string;
  fetch?: typeof fetch;
  clock?: () => number;
  tokenTiming?: TokenTiming;
  /** How long a browser sign-in may take; default 5 minutes. */
  signInTimeoutMs?: number;
}

export interface DesktopCore {
  /** channel → handler, for `ipcMain.handle`. */
  readonly handlers: ReadonlyMap<Channel, IpcHandler>;
  invoke(channel: string, sender: IpcSender, args: readonly unknown[]): Promise<Result<AppSnapshot>>;
  /** The guarded `openExternal`, for links the window tries to open. */
  readonly openExternal: ExternalOpener;
  snapshot(): AppSnapshot;
  subscribe(listener: (snapshot: AppSnapshot) => void): () => void;
  /** Reads the storage policy and signs panels in again from what the vault holds. */
  start(): Promise<void>;
  /** The computer woke up or the network came back: every signed-in panel refreshes. */
  refreshAll(reason: string): Promise<void>;
  close(): void;
}

/**
 * The desktop app without Electron: three panels (OIDC through the system browser, JWT, session
 * cookie), their vault, the storage policy and the IPC handlers, built from Electron's pieces
 * passed in as arguments. `src/main` wires it to Electron; the tests wire it to fakes, a real
 * server and a real browser.
 *
 * @example
 * const core = createDesktopCore({ server, userDataDir: app.getPath('userData'), safeStorage,
 *   platform: process.platform, openExternal: (url) => shell.openExternal(url) });
 * await core.start();
 */
export function createDesktopCore(options: DesktopCoreOptions): DesktopCore {
  const server = new URL(options.server).origin;
  const issuer = options.oidc?.issuer ?? `${server}/oidc`;
  const clientId = options.oidc?.clientId ?? DESKTOP_CLIENT_ID;
  const ownProvider = options.oidc?.issuer === undefined && options.oidc?.clientId === undefined;
  const appUrl = options.appUrl ?? APP_URL;
  const clock = options.clock ?? Date.now;
  const fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const openExternal = guardedOpener([server, issuer], options.openExternal);
  const credentialsFile = join(options.userDataDir, 'credentials.json');
  // The app asks for its own traffic to be recorded, for the window's sequence diagrams.
  const wire = new Recording();
  const fetchFor = (mode: Mode) => recordingFetch(fetch, wire, { from: 'app', mode, issuer, clock });

  const policy = new StoragePolicy({
    safeStorage: options.safeStorage,
    platform: options.platform,
    settingsFile: join(options.userDataDir, 'settings.json'),
  });
  const vault = new SafeStorageVault({ safeStorage: options.safeStorage, policy, file: credentialsFile });
  const where = `encrypted with ${vault.kind} in the app's credentials file`;
  const state = new AppState({
    clock,
    server,
    issuer,
    storage: {
      backend: policy.backend(),
      status: 'unavailable',
      message: 'Checking the key store…',
      file: credentialsFile,
    },
    storageOf: {
      oidc: `Refresh token ${where}. Access token: main-process memory only.`,
      jwt: `Refresh token ${where}. Access token: main-process memory only.`,
      session: `Session cookie in the main process's own jar, saved ${where}. Never in the window's cookie store.`,
    },
    wire,
  });

  const jwtSource = new JwtSource({ server, fetch: fetchFor('jwt') });
  const tokenPanel = (source: JwtSource | OidcSource, mode: Mode, target: { api: string; account: string }) =>
    new TokenPanel({ source, vault, ...target, state, fetch: fetchFor(mode), clock, timing: options.tokenTiming });
  const panels = {
    oidc: tokenPanel(new OidcSource({ issuer, clientId, fetch: fetchFor('oidc') }), 'oidc', {
      api: options.oidc?.api ?? server,
      // Unchanged for the server's own provider, so an earlier sign-in is still found.
      account: ownProvider ? `oidc:${server}` : `oidc:${issuer} ${clientId}`,
    }),
    jwt: tokenPanel(jwtSource, 'jwt', { api: server, account: `jwt:${server}` }),
    session: new SessionPanel({
      client: new SessionClient({ server, vault, account: `session:${server}`, fetch: fetchFor('session') }),
      state,
      server,
    }),
  } satisfies Record<Mode, unknown>;
  const authorizer = new LoopbackAuthorizer({
    issuer,
    clientId,
    ...(options.oidc?.scope ? { scope: options.oidc.scope } : {}),
    fetch: fetchFor('oidc'),
    // The system browser's part, as the app sees it: it sends the browser to the provider, by
    // way of the listener's one-time start link (the only URL on the browser's command line).
    openBrowser: async (url: string, request?: { authorizationUrl: string }) => {
      if (!isLoopbackStartLink(url)) throw new NativeAuthError('external_url_refused', url.slice(0, 200));
      const target = new URL(request?.authorizationUrl ?? url);
      wire.add({
        at: clock(),
        from: 'app',
        to: 'browser',
        label: `open /start/… → ${target.pathname}`,
        details: shownFields(Object.fromEntries(target.searchParams)),
        mode: 'oidc',
        reply: false,
      });
      return options.openExternal(url);
    },
    clock,
    ...(options.signInTimeoutMs ? { timeoutMs: options.signInTimeoutMs } : {}),
  });
  let pendingBrowserSignIn: AbortController | null = null;

  const refreshStorage = async () => state.setStorage(await policy.snapshot(credentialsFile));

  /** Runs a panel action: busy while it runs, its failure shown in the panel and the timeline. */
  const inPanel = async (mode: Mode, busy: string, action: () => Promise<void>): Promise<AppSnapshot> => {
    state.update(mode, { busy, error: null });
    try {
      await action();
    } catch (error) {
      const plain = toPlainError(error);
      state.update(mode, { error: plain });
      state.log(mode, 'error', `${plain.message} (${plain.code})`);
      throw error;
    } finally {
      state.update(mode, { busy: null });
    }
    return state.snapshot();
  };

  const actions: DesktopActions = {
    getState: async () => {
      await refreshStorage();
      return state.snapshot();
    },
    acceptWeakStorage: async () => {
      await policy.acceptWeakStorage();
      await refreshStorage();
      state.log('app', 'storage', `Weak storage (${policy.backend()}) accepted by the person at the screen`);
      return state.snapshot();
    },
    signInWithBrowser: () =>
      inPanel('oidc', 'Waiting for you in the browser…', async () => {
        await policy.requireWritable();
        pendingBrowserSignIn?.abort();
        const abort = new AbortController();
        pendingBrowserSignIn = abort;
        const before = state.panel('oidc').status;
        state.update('oidc', { status: 'signing-in' });
        try {
          const { tokens } = await authorizer.authorize({ signal: abort.signal });
          await panels.oidc.signIn(
            tokens,
            'Signed in through the system browser (code + PKCE S256, loopback redirect)',
          );
        } catch (error) {
          if (state.panel('oidc').status === 'signing-in') state.update('oidc', { status: before });
          throw error;
        } finally {
          if (pendingBrowserSignIn === abort) pendingBrowserSignIn = null;
        }
      }),
    cancelBrowserSignIn: async () => {
      pendingBrowserSignIn?.abort();
      return state.snapshot();
    },
    signInWithPassword: ({ mode, email, password }) =>
      inPanel(mode, 'Signing in…', async () => {
        await policy.requireWritable();
        if (mode === 'session') return panels.session.signIn(email, password);
        const tokens = await jwtSource.login(email, password, options.deviceName ?? 'authlab desktop');
        try {
          await panels.jwt.signIn(tokens, 'Signed in with a password (POST /jwt/login)');
        } catch (error) {
          // Not kept, so not left usable at the server either.
          await jwtSource.revoke({ refreshToken: tokens.refreshToken }).catch(() => {});
          throw error;
        }
      }),
    callApi: ({ mode }) => inPanel(mode, 'Calling the API…', () => panels[mode].callApi()),
    refresh: ({ mode }) => inPanel(mode, 'Refreshing…', () => panels[mode].refresh()),
    signOut: ({ mode, everywhere }) =>
      inPanel(mode, 'Signing out…', async () => {
        if (mode === 'session') {
          await panels.session.signOut(everywhere);
        } else {
          const endSessionUrl = await panels[mode].signOut(everywhere);
          // OIDC: end the provider's browser session too, or the next sign-in skips the password.
          if (endSessionUrl) {
            openExternal(endSessionUrl).catch((error: unknown) =>
              state.log(mode, 'error', `Could not open the provider's sign-out page: ${(error as Error).message}`),
            );
          }
        }
        if (everywhere) {
          // The other panels learn it now rather than at their next refresh.
          await Promise.all(
            Object.values(panels)
              .filter((panel) => panel.mode !== mode)
              .map((panel) => panel.recheck()),
          );
        }
      }),
  };

  const handlers = createIpcHandlers({
    appUrl,
    actions,
    onRefused: (channel, reason) => state.log('app', 'error', `Refused ${channel}: ${reason}`),
  });

  return {
    handlers,
    invoke: (channel, sender, args) => invokeHandler(handlers, channel, sender, args),
    openExternal,
    snapshot: () => state.snapshot(),
    subscribe: (listener) => state.subscribe(listener),
    start: async () => {
      await refreshStorage();
      await Promise.all(
        Object.values(panels).map((panel) =>
          panel.restore().catch((error: unknown) => state.update(panel.mode, { error: toPlainError(error) })),
        ),
      );
    },
    refreshAll: async (reason) => {
      state.log('app', 'life-event', reason);
      await Promise.all(Object.values(panels).map((panel) => panel.recheck()));
    },
    close: () => {
      pendingBrowserSignIn?.abort();
      panels.oidc.close();
      panels.jwt.close();
    },
  };
}
