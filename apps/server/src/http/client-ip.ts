import type { Context, Next } from 'koa';

/**
 * One spelling per address: an IPv4 client on a dual-stack socket arrives as `::ffff:127.0.0.1`,
 * and it must share the login limiter's keys (and the logs' `ip`) with `127.0.0.1`.
 */
export function normalizeClientIp(ctx: Context, next: Next): Promise<void> {
  if (ctx.ip.startsWith('::ffff:')) ctx.request.ip = ctx.ip.slice(7);
  return next();
}
