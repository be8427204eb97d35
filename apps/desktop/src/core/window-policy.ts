import { isLoopbackStartLink, NativeAuthError } from '@authlab/native-client';

/** The loopback authorizer's start link: the one URL off the app's origins the app opens, for the authorizer only. */
export { isLoopbackStartLink };

/**
 * The renderer's address under Electron: a privileged custom scheme rather than `file://`, so the
 * page has a real origin of its own and no access to the file system (Electron security guide §18).
 */
export const APP_URL = 'app://authlab/index.html';

/**
 * `webPreferences` of every app window (Electron security guide §2–§4): no Node in the page, the
 * preload's world isolated from it, and the renderer in Chromium's OS sandbox.
 */
export const SECURE_WEB_PREFERENCES = {
  contextIsolation: true,
  sandbox: true,
  nodeIntegration: false,
  nodeIntegrationInWorker: false,
  nodeIntegrationInSubFrames: false,
  webSecurity: true,
  allowRunningInsecureContent: false,
  webviewTag: false,
  experimentalFeatures: false,
  navigateOnDragDrop: false,
  spellcheck: false,
} as const;

/**
 * The renderer's Content Security Policy (sent as a header by the app protocol and repeated in a
 * meta tag): only the app's own scripts and styles, no inline code, no network access at all
 * (every request goes through the main process), no frames, no plugins.
 */
export const RENDERER_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'none'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-src 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Same scheme and host (`URL.origin` is `"null"` for custom schemes, so compare the parts). */
export function sameAppOrigin(candidate: string, appUrl: string): boolean {
  let url: URL;
  let app: URL;
  try {
    url = new URL(candidate);
    app = new URL(appUrl);
  } catch {
    return false;
  }
  return url.protocol === app.protocol && url.host === app.host && url.username === '' && url.password === '';
}

/** Who sent an IPC message, as the handlers need it (from `event.senderFrame`). */
export interface IpcSender {
  /** The sending frame's URL; empty when the frame is gone. */
  url: string;
  /** False for iframes: only the app's own top-level document may call. */
  mainFrame: boolean;
}

/** Electron security guide §17: every IPC message must come from the app's own page. */
export function isAppSender(sender: IpcSender, appUrl: string): boolean {
  return sender.mainFrame && sameAppOrigin(sender.url, appUrl);
}

export type ExternalOpener = (url: string) => Promise<void>;

/**
 * `shell.openExternal` restricted to http(s) URLs on the configured server's and issuer's
 * origins (Electron security guide §15): a compromised page cannot make the OS open `file:`,
 * `smb:` or a custom protocol handler, nor send the person to another site.
 *
 * @example
 * const open = guardedOpener(['http://localhost:4000'], (url) => shell.openExternal(url));
 * await open('http://localhost:4000/oidc/auth?…'); // opened
 * await open('file:///etc/passwd'); // rejects with code external_url_refused
 */
export function guardedOpener(allowedOrigins: readonly string[], openExternal: ExternalOpener): ExternalOpener {
  const allowed = new Set(allowedOrigins.map((origin) => new URL(origin).origin));
  return async (raw: string) => {
    let url: URL | null = null;
    try {
      url = new URL(raw);
    } catch {
      url = null;
    }
    const ok =
      url !== null &&
      (url.protocol === 'https:' || url.protocol === 'http:') &&
      url.username === '' &&
      url.password === '' &&
      allowed.has(url.origin);
    if (!ok || url === null) {
      throw new NativeAuthError('external_url_refused', String(raw).slice(0, 200));
    }
    await openExternal(url.href);
  };
}

/**
 * What app windows may do (Electron security guide §13, §14): navigate only within the app,
 * open no new windows; a link to the server opens in the system browser instead.
 */
export function navigationPolicy(appUrl: string, openExternal: ExternalOpener) {
  return {
    /** For `will-navigate` / `will-redirect`: true when the navigation must be prevented. */
    shouldBlockNavigation: (url: string) => !sameAppOrigin(url, appUrl),
    /** For `setWindowOpenHandler`: never a new app window; allowed links go to the browser. */
    onWindowOpen: (url: string): { action: 'deny' } => {
      openExternal(url).catch(() => {
        // Refused (not the server): nothing opens, which is the point.
      });
      return { action: 'deny' };
    },
  };
}
