import type { Context, Next } from 'koa';

/** A page about the signed-in person: HTML, never cached (a shared cache must not keep it). */
export function noStoreHtml(ctx: Context): void {
  ctx.set('Cache-Control', 'no-store');
  ctx.type = 'html';
}

/**
 * Middleware for answers about one person (the API's): never stored by any cache (RFC 9111
 * §5.2.2.5), since a shared cache must not hand them to someone else.
 */
export function noStore(ctx: Context, next: Next): Promise<void> {
  ctx.set('Cache-Control', 'no-store');
  return next();
}
