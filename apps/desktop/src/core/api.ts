/**
 * The contract between the window and the main process: IPC channel names, the API the preload
 * script exposes as `window.authlab`, and the snapshots the main process pushes to the page.
 *
 * This file is shared by all three processes, so it holds types and constants only: no Node, no
 * DOM, no Electron.
 */
import type { WireMessage } from '@authlab/sequence';

export type Mode = 'oidc' | 'jwt' | 'session';
export const MODES: readonly Mode[] = ['oidc', 'jwt', 'session'];

/** `ipcRenderer.invoke` channels, one per API method. */
export const CHANNELS = {
  getState: 'authlab:get-state',
  acceptWeakStorage: 'authlab:accept-weak-storage',
  signInWithBrowser: 'authlab:oidc-sign-in',
  cancelBrowserSignIn: 'authlab:oidc-cancel',
  signInWithPassword: 'authlab:password-sign-in',
  callApi: 'authlab:call-api',
  refresh: 'authlab:refresh',
  signOut: 'authlab:sign-out',
} as const;

export type ApiMethod = keyof typeof CHANNELS;
export type Channel = (typeof CHANNELS)[ApiMethod];

/** The main process sends a fresh `AppSnapshot` on this channel after every change. */
export const STATE_EVENT = 'authlab:state';

/** An error in plain words: what happened, and what the person can do about it. */
export interface PlainError {
  code: string;
  message: string;
  action: string;
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: PlainError };

export interface PanelSnapshot {
  mode: Mode;
  status: 'signed-out' | 'signing-in' | 'signed-in';
  /** What the panel is doing right now (`Refreshing…`), or null. */
  busy: string | null;
  user: { email: string; sub: string; role: string } | null;
  /** ms since the epoch: the access token's expiry (session mode: the session's). */
  expiresAt: number | null;
  /** ms since the epoch: when the current token (or session extension) began, for the progress bar. */
  validFrom: number | null;
  /** The countdown's label: what `expiresAt` is the expiry of, in words. */
  expiresWhat: string;
  /** Decoded access-token claims (session mode: the server's session record); never a token. */
  claims: Record<string, unknown> | null;
  claimsSource: string;
  refreshCount: number;
  lastRefreshAt: number | null;
  /** Where the long-lived credential is kept, in words. */
  storage: string;
  lastCall: { at: number; status: number; body: unknown } | null;
  error: PlainError | null;
}

export interface StorageSnapshot {
  /** `gnome_libsecret`, `kwallet5`, `basic_text` (Linux), `Keychain` (macOS), `DPAPI` (Windows). */
  backend: string;
  status: 'protected' | 'needs-consent' | 'accepted-weak' | 'unavailable';
  message: string;
  /** The file holding the encrypted credentials. */
  file: string;
}

export type TimelineKind =
  | 'sign-in'
  | 'restored'
  | 'silent-refresh'
  | 'refresh'
  | '401-retry'
  | 'refresh-failed'
  | 'revoked'
  | 'sign-out'
  | 'sign-out-everywhere'
  | 'api-call'
  | 'life-event'
  | 'storage'
  | 'error';

export interface TimelineEntry {
  id: number;
  at: number;
  mode: Mode | 'app';
  kind: TimelineKind;
  text: string;
}

export interface AppSnapshot {
  /** Grows with every change: a snapshot older than the one shown is ignored. */
  version: number;
  server: string;
  issuer: string;
  storage: StorageSnapshot;
  panels: Record<Mode, PanelSnapshot>;
  /** Newest first. */
  timeline: TimelineEntry[];
  /** Per panel, the messages its sign-ins, refreshes, calls and sign-outs really exchanged, oldest first, secrets shortened. */
  wire: Record<Mode, WireMessage[]>;
}

export interface PasswordSignIn {
  mode: 'jwt' | 'session';
  email: string;
  password: string;
}

/**
 * `window.authlab`, as the preload script exposes it. Every method resolves (never rejects) with
 * a `Result`; failures are also shown in the affected panel of the next snapshot.
 */
export interface AuthlabApi {
  getState(): Promise<Result<AppSnapshot>>;
  acceptWeakStorage(request: { accept: true }): Promise<Result<AppSnapshot>>;
  signInWithBrowser(): Promise<Result<AppSnapshot>>;
  cancelBrowserSignIn(): Promise<Result<AppSnapshot>>;
  signInWithPassword(request: PasswordSignIn): Promise<Result<AppSnapshot>>;
  callApi(request: { mode: Mode }): Promise<Result<AppSnapshot>>;
  refresh(request: { mode: Mode }): Promise<Result<AppSnapshot>>;
  signOut(request: { mode: Mode; everywhere: boolean }): Promise<Result<AppSnapshot>>;
  /** Calls `listener` with every snapshot the main process pushes; returns the unsubscribe. */
  onState(listener: (snapshot: AppSnapshot) => void): () => void;
}
