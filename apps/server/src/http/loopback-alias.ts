import type { Context, Next } from 'koa';
import { wantsHtml } from './wants-html.ts';

const LOOPBACK_NAME = /^(?:localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;

/** True for `localhost`, `127.x.y.z` and `[::1]`, the names a browser resolves to this machine. */
export const isLoopbackName = (hostname: string) => LOOPBACK_NAME.test(hostname);

/**
 * Sends a browser that opened the site on the other loopback name (`127.0.0.1` for `localhost`, or
 * back) to `PUBLIC_URL`. Under the other name every sign-in breaks: cookies are per host, and the
 * origin check refuses forms whose `Origin` is not exactly `PUBLIC_URL`'s.
 *
 * Only where `PUBLIC_URL` is itself a loopback origin (behind a proxy the `Host` may be anything),
 * only page requests (GET/HEAD asking for HTML: API clients and scripts are answered as before),
 * and always to `PUBLIC_URL`, never to a name taken from the request (no open redirect).
 */
export function loopbackAlias(publicUrl: string) {
  const target = new URL(publicUrl);
  const active = isLoopbackName(target.hostname);
  return function redirectLoopbackAlias(ctx: Context, next: Next): Promise<void> {
    if (!active || (ctx.method !== 'GET' && ctx.method !== 'HEAD') || !wantsHtml(ctx)) return next();
    // The Host header as the browser sent it (ctx.host may come from X-Forwarded-Host).
    const host = (ctx.req.headers.host ?? '').toLowerCase();
    const hostname = host.replace(/:\d+$/, '');
    if (host === target.host || !isLoopbackName(hostname)) return next();
    ctx.set('Cache-Control', 'no-store');
    // Concatenated, not resolved: a path such as `//evil.example` stays a path on PUBLIC_URL.
    ctx.redirect(`${target.origin}${ctx.originalUrl}`);
    return Promise.resolve();
  };
}
