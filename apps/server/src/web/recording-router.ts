import { sequenceMermaid, sequenceSvg } from '@authlab/sequence';
import type Router from '@koa/router';
import type { Context } from 'koa';
import type { AppDeps } from '../deps.ts';
import { HttpError } from '../http/errors.ts';
import { createRouter } from '../http/router.ts';
import { recordingCookieName, type TrafficRecordings } from '../recording/recordings.ts';

const MODES = new Set(['session', 'jwt', 'oidc']);
const TITLES: Record<string, string> = {
  session: 'Server session: the messages that passed',
  jwt: 'JWT and refresh token: the messages that passed',
  oidc: 'OpenID Connect: the messages that passed',
};

/**
 * A browser's traffic recording (recording/record-traffic.ts), which the `/compare` page turns on:
 * `POST` starts one (its id in an HttpOnly cookie) unless one is running, `GET` reads it as JSON, `.svg` draws it as a
 * sequence diagram and `.mmd` writes it as Mermaid text (`?mode=session|jwt|oidc` filters),
 * `DELETE` stops it. The cookie alone reaches a recording: no id in any URL.
 */
export function recordingRouter(deps: AppDeps, recordings: TrafficRecordings): Router {
  const router = createRouter('/compare');
  const cookieName = recordingCookieName(deps.config.secureCookies);
  const cookieOptions = {
    httpOnly: true,
    sameSite: 'lax' as const,
    secure: deps.config.secureCookies,
    path: '/',
    overwrite: true,
  };

  const recordingOf = (ctx: Context) => {
    ctx.set('Cache-Control', 'no-store');
    const recording = recordings.get(ctx.cookies.get(cookieName));
    if (!recording) throw new HttpError(404, 'no_recording', 'this browser is not recording: POST /compare/recording');
    const mode = typeof ctx.query.mode === 'string' ? ctx.query.mode : undefined;
    if (mode !== undefined && !MODES.has(mode))
      throw new HttpError(400, 'invalid_request', 'mode: session, jwt or oidc');
    return { messages: recording.messages(mode), mode };
  };

  // Idempotent: a page that comes back from the provider keeps the recording it started.
  router.post('/recording', (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    if (recordings.get(ctx.cookies.get(cookieName))) {
      ctx.body = { recording: 'running' };
      return;
    }
    ctx.cookies.set(cookieName, recordings.start(), { ...cookieOptions, maxAge: 60 * 60_000 });
    ctx.status = 201;
    ctx.body = { recording: 'started' };
  });

  router.delete('/recording', (ctx) => {
    recordings.stop(ctx.cookies.get(cookieName));
    ctx.cookies.set(cookieName, null, cookieOptions);
    ctx.status = 204;
  });

  router.get('/recording', (ctx) => {
    ctx.body = { messages: recordingOf(ctx).messages };
  });

  router.get('/recording.svg', (ctx) => {
    const { messages, mode } = recordingOf(ctx);
    ctx.type = 'image/svg+xml';
    ctx.body = sequenceSvg(messages, { title: TITLES[mode ?? ''] ?? 'The messages that passed' });
  });

  router.get('/recording.mmd', (ctx) => {
    const { messages } = recordingOf(ctx);
    ctx.type = 'text/plain; charset=utf-8';
    ctx.body = sequenceMermaid(messages);
  });

  return router;
}
