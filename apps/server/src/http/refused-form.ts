import type { Context, Next } from 'koa';
import { isFormPost } from './body.ts';
import { HttpError } from './errors.ts';
import { wantsHtml } from './wants-html.ts';

/**
 * A session form (sign-in, sign-out) the origin check refused goes back to `/login` on
 * `PUBLIC_URL`, where the page says why and which address to use, as other form errors do,
 * instead of leaving the person on a raw `forbidden_origin` answer. Nothing was changed: the check
 * refused the request before any handler ran; this only chooses how the refusal is shown.
 * Place it just before `originCheck`.
 */
export function refusedFormToLogin(publicUrl: string) {
  const login = new URL('/login?error=forbidden_origin', publicUrl).href;
  return async function showRefusedForm(ctx: Context, next: Next): Promise<void> {
    try {
      await next();
    } catch (error) {
      const refused = error instanceof HttpError && error.code === 'forbidden_origin';
      if (!refused || !ctx.path.startsWith('/session/') || !isFormPost(ctx) || !wantsHtml(ctx)) throw error;
      ctx.set('Cache-Control', 'no-store');
      ctx.redirect(login);
      ctx.status = 303;
    }
  };
}
