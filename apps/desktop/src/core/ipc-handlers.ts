import { z } from 'zod';
import { type AppSnapshot, CHANNELS, type Channel, type Mode, type PasswordSignIn, type Result } from './api.ts';
import { refusal, toPlainError } from './plain-errors.ts';
import { type IpcSender, isAppSender } from './window-policy.ts';

/** What the window can ask for; each resolves with the state after the action. */
export interface DesktopActions {
  getState(): Promise<AppSnapshot>;
  acceptWeakStorage(): Promise<AppSnapshot>;
  signInWithBrowser(): Promise<AppSnapshot>;
  cancelBrowserSignIn(): Promise<AppSnapshot>;
  signInWithPassword(request: PasswordSignIn): Promise<AppSnapshot>;
  callApi(request: { mode: Mode }): Promise<AppSnapshot>;
  refresh(request: { mode: Mode }): Promise<AppSnapshot>;
  signOut(request: { mode: Mode; everywhere: boolean }): Promise<AppSnapshot>;
}

/** One IPC channel's handler: who sent it, and the raw arguments from the renderer. */
export type IpcHandler = (sender: IpcSender, args: readonly unknown[]) => Promise<Result<AppSnapshot>>;

const mode = z.enum(['oidc', 'jwt', 'session']);

/**
 * The arguments each channel accepts, exactly: a renderer that has been tricked into sending
 * anything else (extra fields, wrong types, huge strings) is refused before any work is done.
 */
export const ARGUMENTS = {
  [CHANNELS.getState]: z.tuple([]),
  [CHANNELS.acceptWeakStorage]: z.tuple([z.strictObject({ accept: z.literal(true) })]),
  [CHANNELS.signInWithBrowser]: z.tuple([]),
  [CHANNELS.cancelBrowserSignIn]: z.tuple([]),
  [CHANNELS.signInWithPassword]: z.tuple([
    z.strictObject({
      mode: z.enum(['jwt', 'session']),
      email: z
        .string()
        .trim()
        .max(320)
        .regex(/^[^\s@]+@[^\s@]+$/, 'an email address'),
      // The server's own limit is 1024 bytes; anything longer is refused there too.
      password: z.string().min(1).max(1024),
    }),
  ]),
  [CHANNELS.callApi]: z.tuple([z.strictObject({ mode })]),
  [CHANNELS.refresh]: z.tuple([z.strictObject({ mode })]),
  [CHANNELS.signOut]: z.tuple([z.strictObject({ mode, everywhere: z.boolean() })]),
} satisfies Record<Channel, z.ZodType>;

export interface IpcHandlerOptions {
  /** The app's own page, e.g. `app://authlab/index.html`: the only sender accepted. */
  appUrl: string;
  actions: DesktopActions;
  /** Told about every refused message (for the timeline). */
  onRefused?: (channel: string, reason: string) => void;
}

/**
 * The IPC surface of the main process as plain functions, channel → handler, so the same code
 * runs under `ipcMain.handle` and in tests. Every handler checks its sender (the app's own
 * top-level page) and its arguments (zod) before it acts, and resolves with a `Result`: errors
 * travel as plain words, never as stack traces.
 *
 * @example
 * for (const [channel, handle] of createIpcHandlers({ appUrl, actions })) {
 *   ipcMain.handle(channel, (event, ...args) =>
 *     handle({ url: event.senderFrame?.url ?? '', mainFrame: event.senderFrame === event.sender.mainFrame }, args));
 * }
 */
export function createIpcHandlers(options: IpcHandlerOptions): ReadonlyMap<Channel, IpcHandler> {
  const { actions, appUrl, onRefused } = options;
  const handlers = new Map<Channel, IpcHandler>();

  const define = <C extends Channel>(
    channel: C,
    act: (args: z.infer<(typeof ARGUMENTS)[C]>) => Promise<AppSnapshot>,
  ): void => {
    handlers.set(channel, async (sender, args) => {
      if (!isAppSender(sender, appUrl)) {
        onRefused?.(channel, `sender ${sender.url || '(unknown)'}${sender.mainFrame ? '' : ' (a subframe)'}`);
        return { ok: false, error: refusal('forbidden_sender') };
      }
      const parsed = ARGUMENTS[channel].safeParse(args);
      if (!parsed.success) {
        const detail = parsed.error.issues
          .map((issue) => `${issue.path.join('.') || 'arguments'}: ${issue.message}`)
          .join('; ');
        onRefused?.(channel, `bad arguments (${detail})`);
        return { ok: false, error: refusal('invalid_arguments', detail) };
      }
      try {
        return { ok: true, value: await act(parsed.data as z.infer<(typeof ARGUMENTS)[C]>) };
      } catch (error) {
        return { ok: false, error: toPlainError(error) };
      }
    });
  };

  define(CHANNELS.getState, () => actions.getState());
  define(CHANNELS.acceptWeakStorage, () => actions.acceptWeakStorage());
  define(CHANNELS.signInWithBrowser, () => actions.signInWithBrowser());
  define(CHANNELS.cancelBrowserSignIn, () => actions.cancelBrowserSignIn());
  define(CHANNELS.signInWithPassword, ([request]) => actions.signInWithPassword(request));
  define(CHANNELS.callApi, ([request]) => actions.callApi(request));
  define(CHANNELS.refresh, ([request]) => actions.refresh(request));
  define(CHANNELS.signOut, ([request]) => actions.signOut(request));
  return handlers;
}

/** Calls a handler by channel name; an unknown channel is refused like a bad sender. */
export function invokeHandler(
  handlers: ReadonlyMap<Channel, IpcHandler>,
  channel: string,
  sender: IpcSender,
  args: readonly unknown[],
): Promise<Result<AppSnapshot>> {
  const handler = handlers.get(channel as Channel);
  if (!handler) return Promise.resolve({ ok: false, error: refusal('unknown_channel') });
  return handler(sender, args);
}
