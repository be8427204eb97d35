import { sequenceMermaid, sequenceSvg } from '@authlab/sequence';
import type { Context } from 'koa';
import type { BrowserRecording } from './browser-recording.ts';

const TITLES: Record<string, string> = {
  session: 'Server session: the messages that passed',
  jwt: 'JWT and refresh token: the messages that passed',
  oidc: 'OpenID Connect: the messages that passed',
};

/** `GET /compare/recording`: the recorded messages as JSON. */
export function readRecording(recording: BrowserRecording) {
  return function readRecording(ctx: Context): void {
    ctx.body = { messages: recording.messages(ctx).messages };
  };
}

/** `GET /compare/recording.svg`: the recorded messages drawn as a sequence diagram. */
export function drawRecording(recording: BrowserRecording) {
  return function drawRecording(ctx: Context): void {
    const { messages, mode } = recording.messages(ctx);
    ctx.type = 'image/svg+xml';
    ctx.body = sequenceSvg(messages, { title: TITLES[mode ?? ''] ?? 'The messages that passed' });
  };
}

/** `GET /compare/recording.mmd`: the recorded messages as Mermaid text. */
export function recordingAsMermaid(recording: BrowserRecording) {
  return function recordingAsMermaid(ctx: Context): void {
    const { messages } = recording.messages(ctx);
    ctx.type = 'text/plain; charset=utf-8';
    ctx.body = sequenceMermaid(messages);
  };
}
