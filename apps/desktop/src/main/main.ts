/**
 * The Electron main process: glue only. It wires Electron's APIs (windows, IPC, safeStorage,
 * shell, power and network events) to `src/core`, which holds everything that can be tested in
 * plain Node. Bundled to `dist/main/main.cjs` by `scripts/build.ts`.
 */
import { hostname } from 'node:os';
import { join } from 'node:path';
import {
  app,
  BrowserWindow,
  type IpcMainInvokeEvent,
  ipcMain,
  nativeTheme,
  net,
  powerMonitor,
  protocol,
  safeStorage,
  session,
  shell,
} from 'electron';
import { STATE_EVENT } from '../core/api.ts';
import { DesktopConfigError, loadDesktopConfig } from '../core/config.ts';
import { createDesktopCore, type DesktopCore } from '../core/desktop-core.ts';
import { watchLifeEvents } from '../core/life-events.ts';
import { readRendererFile } from '../core/renderer-files.ts';
import { APP_URL, type IpcSender, navigationPolicy, SECURE_WEB_PREFERENCES } from '../core/window-policy.ts';

const APP_SCHEME = new URL(APP_URL).protocol.slice(0, -1);
const rendererDir = join(__dirname, '..', 'renderer');
const preloadFile = join(__dirname, '..', 'preload', 'preload.cjs');

// A standard, secure scheme: the page gets a real origin of its own (not file://).
protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true } }]);
app.setPath('userData', join(app.getPath('appData'), 'authlab-desktop'));

const senderOf = (event: IpcMainInvokeEvent): IpcSender => ({
  url: event.senderFrame?.url ?? '',
  mainFrame: event.senderFrame?.parent === null,
});

function createWindow(): BrowserWindow {
  const window = new BrowserWindow({
    width: 1440,
    height: 900,
    minWidth: 960,
    minHeight: 640,
    title: 'authlab',
    icon: join(rendererDir, 'icon.png'),
    show: false,
    backgroundColor: nativeTheme.shouldUseDarkColors ? '#101418' : '#f5f6f8',
    webPreferences: { ...SECURE_WEB_PREFERENCES, preload: preloadFile },
  });
  window.once('ready-to-show', () => window.show());
  void window.loadURL(APP_URL);
  return window;
}

function start(): void {
  let config: ReturnType<typeof loadDesktopConfig>;
  try {
    config = loadDesktopConfig(process.env, process.argv);
  } catch (error) {
    if (!(error instanceof DesktopConfigError)) throw error;
    process.stderr.write(`authlab desktop: ${error.message}\n`);
    app.exit(2);
    return;
  }
  app.enableSandbox();

  let window: BrowserWindow | null = null;
  let core: DesktopCore | null = null;

  // A second launch focuses the first window instead of running a second app on the same vault.
  app.on('second-instance', () => {
    if (!window) return;
    if (window.isMinimized()) window.restore();
    window.focus();
  });

  // Every web contents, including any the page could create: no navigation away from the app,
  // no new windows (links to the server open in the system browser), no <webview>.
  app.on('web-contents-created', (_event, contents) => {
    const policy = () => navigationPolicy(APP_URL, core?.openExternal ?? (async () => {}));
    const guard = (event: { preventDefault(): void }, url: string) => {
      if (policy().shouldBlockNavigation(url)) event.preventDefault();
    };
    contents.on('will-navigate', guard);
    contents.on('will-redirect', guard);
    contents.on('will-attach-webview', (event) => event.preventDefault());
    contents.setWindowOpenHandler(({ url }) => policy().onWindowOpen(url));
  });

  app.on('window-all-closed', () => app.quit());

  void app.whenReady().then(async () => {
    const ses = session.defaultSession;
    // Camera, notifications, geolocation, HID, …: the app needs none, so every request is refused.
    ses.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
    ses.setPermissionCheckHandler(() => false);
    ses.setDevicePermissionHandler(() => false);

    protocol.handle(APP_SCHEME, async (request) => {
      const file = await readRendererFile(rendererDir, request.url, APP_URL);
      return new Response(new Uint8Array(Buffer.from(file.body)), { status: file.status, headers: file.headers });
    });

    core = createDesktopCore({
      server: config.server,
      oidc: config.oidc,
      userDataDir: app.getPath('userData'),
      safeStorage,
      platform: process.platform,
      openExternal: (url) => shell.openExternal(url),
      deviceName: `authlab desktop on ${hostname()}`,
    });
    const ready = core;
    for (const [channel, handle] of ready.handlers) {
      ipcMain.handle(channel, (event, ...args: unknown[]) => handle(senderOf(event), args));
    }
    window = createWindow();
    window.on('closed', () => {
      window = null;
    });
    ready.subscribe((snapshot) => {
      if (window && !window.isDestroyed()) window.webContents.send(STATE_EVENT, snapshot);
    });
    const stopLifeEvents = watchLifeEvents({
      powerMonitor,
      isOnline: () => net.isOnline(),
      refreshAll: (reason) => ready.refreshAll(reason),
    });
    app.on('before-quit', () => {
      stopLifeEvents();
      ready.close();
    });
    await ready.start();
  });
}

if (app.requestSingleInstanceLock()) {
  start();
} else {
  app.quit();
}
