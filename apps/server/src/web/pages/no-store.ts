import type { Context } from 'koa';

/** A page about the signed-in person: HTML, never cached (a shared cache must not keep it). */
export function noStoreHtml(ctx: Context): void {
  ctx.set('Cache-Control', 'no-store');
  ctx.type = 'html';
}
