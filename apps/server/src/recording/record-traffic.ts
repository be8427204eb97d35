import {
  ANSWER_FIELDS,
  type Party,
  shortenSecret,
  shownAuthorization,
  shownFields,
  shownSetCookie,
  type WireMessage,
} from '@authlab/sequence';
import type { Context, Next } from 'koa';
import { recordingCookieName, type TrafficRecordings } from './recordings.ts';

/** The panel a request belongs to, when a page says (a label only: it decides nothing). */
export const PANEL_HEADER = 'X-Authlab-Panel';
const PANELS = new Set(['session', 'jwt', 'oidc']);

/**
 * Long path segments are handles (oidc-provider's interaction uid, 43 characters): shortened like
 * secrets. Words such as `openid-configuration` stay readable.
 */
const shownPath = (path: string) =>
  path
    .split('/')
    .map((segment) => (segment.length > 24 ? shortenSecret(segment) : segment))
    .join('/');

function modeOf(ctx: Context): string {
  const declared = ctx.get(PANEL_HEADER);
  if (PANELS.has(declared)) return declared;
  if (ctx.path.startsWith('/session/oidc/')) return 'session';
  const [, first] = ctx.path.split('/');
  if (first === 'session' || first === 'jwt' || first === 'oidc') return first;
  if (ctx.path === '/compare' && (ctx.query.code !== undefined || ctx.query.error !== undefined)) return 'oidc';
  return 'page';
}

const entries = (source: unknown) => shownFields(source);

function requestDetails(ctx: Context, cookieName: string): Array<[string, string]> {
  const details: Array<[string, string]> = entries(ctx.query);
  // oidc-provider reads its own bodies; its parsed parameters are on ctx.oidc once it has run.
  const oidcParams = (ctx as { oidc?: { params?: unknown } }).oidc?.params;
  details.push(...entries(ctx.request.body ?? oidcParams).filter(([name]) => !(name in ctx.query)));
  const authorization = ctx.get('Authorization');
  if (authorization) details.push(['Authorization', shownAuthorization(authorization)]);
  // Which cookies rode along, by name only: their values are the credentials.
  const cookies = ctx
    .get('Cookie')
    .split(';')
    .map((pair) => pair.trim().split('=')[0] ?? '')
    .filter((name) => name && !name.startsWith(cookieName) && !name.endsWith('.sig'));
  if (cookies.length > 0) details.push(['Cookie', cookies.join(', ')]);
  return details;
}

function responseDetails(ctx: Context, cookieName: string): { label: string; details: Array<[string, string]> } {
  const details: Array<[string, string]> = [];
  let label = String(ctx.status);
  const location = ctx.response.get('Location');
  if (location) {
    const target = new URL(location, 'http://authlab.invalid');
    const here = target.origin === 'http://authlab.invalid' || target.origin === ctx.origin;
    label += ` → ${here ? shownPath(target.pathname) : `${target.origin}${shownPath(target.pathname)}`}`;
    details.push(...entries(Object.fromEntries(target.searchParams)));
  }
  const setCookies = ctx.response.headers['set-cookie'];
  for (const header of Array.isArray(setCookies) ? setCookies : setCookies ? [String(setCookies)] : []) {
    if (header.startsWith(cookieName) || /^[^=]+\.sig=/.test(header)) continue;
    details.push(['Set-Cookie', shownSetCookie(header)]);
  }
  const body = ctx.body;
  if (body && typeof body === 'object' && !Buffer.isBuffer(body) && !('pipe' in body)) {
    const fields = body as Record<string, unknown>;
    const user = fields.user as Record<string, unknown> | undefined;
    details.push(...entries(Object.fromEntries(ANSWER_FIELDS.filter((k) => k in fields).map((k) => [k, fields[k]]))));
    if (user && typeof user === 'object') details.push(...entries({ email: user.email, role: user.role }));
  } else if (ctx.response.is('html')) {
    details.push(['body', 'an HTML page']);
  }
  return { label, details };
}

/**
 * Records the messages that pass for a browser that asked for it (POST /compare/recording set its
 * recording's id in a cookie): each request and its answer, with parameters, and with every secret
 * shortened before it is stored (never kept whole: @authlab/sequence `shownValue`). A request
 * without that cookie costs one cookie lookup. Place it before the error middleware, so refusals
 * are recorded with the status the client saw.
 */
export function recordTraffic(recordings: TrafficRecordings, secureCookies: boolean, clock: () => number) {
  const cookieName = recordingCookieName(secureCookies);
  return async function recordTrafficOf(ctx: Context, next: Next): Promise<void> {
    const recording = recordings.get(ctx.cookies.get(cookieName));
    if (!recording || ctx.path.startsWith('/assets/') || ctx.path.startsWith('/compare/recording')) return next();
    const at = clock();
    const to: Party = ctx.path.startsWith('/oidc/') ? 'provider' : 'server';
    try {
      await next();
    } finally {
      const mode = modeOf(ctx);
      const request: WireMessage = {
        at,
        from: 'browser',
        to,
        label: `${ctx.method} ${shownPath(ctx.path)}`,
        details: requestDetails(ctx, cookieName),
        mode,
        reply: false,
      };
      recording.add(request);
      recording.add({ at: clock(), from: to, to: 'browser', ...responseDetails(ctx, cookieName), mode, reply: true });
    }
  };
}
