import type { Context } from 'koa';
import { isFormPost } from '../../http/body.ts';

/**
 * Runs `work` for a JSON or a form post. A form post gets a 303 to the page `success` names, and
 * an error with a code goes back to the login page with it (`/login?error=code`); a JSON request
 * gets `work`'s answer or its error as JSON. A store failure stays a 503 either way.
 */
export async function formAware(ctx: Context, success: string, work: () => Promise<void>): Promise<void> {
  const form = isFormPost(ctx);
  try {
    await work();
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (!form || typeof code !== 'string' || code === 'store_unavailable') throw error;
    ctx.redirect(`/login?error=${encodeURIComponent(code)}`);
    ctx.status = 303;
    return;
  }
  if (form) {
    ctx.redirect(success);
    ctx.status = 303;
  }
}
