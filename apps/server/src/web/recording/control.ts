import type { Context } from 'koa';
import type { BrowserRecording } from './browser-recording.ts';

/**
 * `POST /compare/recording`: starts this browser's recording, `201`. Idempotent: a page that
 * comes back from the provider keeps the recording it started (`200`, still running).
 */
export function startRecording(recording: BrowserRecording) {
  return function startRecording(ctx: Context): void {
    if (recording.current(ctx)) {
      ctx.body = { recording: 'running' };
      return;
    }
    recording.start(ctx);
    ctx.status = 201;
    ctx.body = { recording: 'started' };
  };
}

/** `DELETE /compare/recording`: stops this browser's recording and clears its cookie, `204`. */
export function stopRecording(recording: BrowserRecording) {
  return function stopRecording(ctx: Context): void {
    recording.stop(ctx);
    ctx.status = 204;
  };
}
