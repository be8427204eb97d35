import type { Context, Next } from 'koa';

/**
 * Behind a TLS-terminating proxy, or on a loopback origin (which browsers treat as secure),
 * Koa must be told the connection counts as secure, or the cookie library refuses to set a
 * Secure cookie over what it sees as plain HTTP.
 */
export function markSecureConnection(secure: boolean) {
  return function secureCookies(ctx: Context, next: Next): Promise<void> {
    if (secure) ctx.cookies.secure = true;
    return next();
  };
}
