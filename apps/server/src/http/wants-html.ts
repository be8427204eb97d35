import type { Context } from 'koa';

/**
 * True for a browser asking for a page: its `Accept` names `text/html` (a navigation or a form
 * post does; `fetch()` sends `*∕*` and API clients send JSON, so they keep JSON answers).
 */
export function wantsHtml(ctx: Context): boolean {
  return /\btext\/html\b/i.test(ctx.get('Accept'));
}
