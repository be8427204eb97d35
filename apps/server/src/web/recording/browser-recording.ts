import type { Recording } from '@authlab/sequence';
import type { Context } from 'koa';
import type { AppDeps } from '../../deps.ts';
import { HttpError } from '../../http/errors.ts';
import { recordingCookieName, type TrafficRecordings } from '../../recording/recordings.ts';

/** A recording lives an hour in its cookie (the recordings drop it after an idle hour anyway). */
const COOKIE_MAX_AGE_MS = 60 * 60_000;
const MODES = new Set(['session', 'jwt', 'oidc']);

/** This browser's recording, reached through its HttpOnly cookie alone (no id in any URL). */
export interface BrowserRecording {
  current(ctx: Context): Recording | undefined;
  /** Starts a recording and gives this browser its cookie. */
  start(ctx: Context): void;
  /** Drops this browser's recording and its cookie. */
  stop(ctx: Context): void;
  /**
   * The messages of this browser's recording, of one mode with `?mode=session|jwt|oidc`; `404
   * no_recording` when it records nothing, `400 invalid_request` for another mode.
   */
  messages(ctx: Context): { messages: ReturnType<Recording['messages']>; mode: string | undefined };
}

export function browserRecording(deps: AppDeps, recordings: TrafficRecordings): BrowserRecording {
  const cookieName = recordingCookieName(deps.config.secureCookies);
  const cookieOptions = {
    httpOnly: true,
    sameSite: 'lax' as const,
    secure: deps.config.secureCookies,
    path: '/',
    overwrite: true,
  };
  const current = (ctx: Context) => recordings.get(ctx.cookies.get(cookieName));
  return {
    current,
    start: (ctx) => ctx.cookies.set(cookieName, recordings.start(), { ...cookieOptions, maxAge: COOKIE_MAX_AGE_MS }),
    stop(ctx) {
      recordings.stop(ctx.cookies.get(cookieName));
      ctx.cookies.set(cookieName, null, cookieOptions);
    },
    messages(ctx) {
      const recording = current(ctx);
      if (!recording)
        throw new HttpError(404, 'no_recording', 'this browser is not recording: POST /compare/recording');
      const mode = typeof ctx.query.mode === 'string' ? ctx.query.mode : undefined;
      if (mode !== undefined && !MODES.has(mode))
        throw new HttpError(400, 'invalid_request', 'mode: session, jwt or oidc');
      return { messages: recording.messages(mode), mode };
    },
  };
}
