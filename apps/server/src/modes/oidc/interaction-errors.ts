import type { Context, Next } from 'koa';
import { errors } from 'oidc-provider';
import { allowFormRedirects, renderError } from './provider-pages.ts';

/**
 * In front of every interaction action: never cached, form posts may redirect to the client,
 * and an expired or foreign interaction gets the provider's own error page, not a JSON error.
 */
export async function interactionPageErrors(ctx: Context, next: Next): Promise<void> {
  ctx.set('Cache-Control', 'no-store');
  allowFormRedirects(ctx);
  try {
    await next();
  } catch (error) {
    if (error instanceof errors.SessionNotFound || error instanceof errors.InvalidRequest) {
      ctx.status = 400;
      await renderError(ctx as never, { error: 'invalid_session', error_description: 'start again from the app' });
      return;
    }
    throw error;
  }
}
