import type { Context, Next } from 'koa';

/**
 * In front of the shared body parser: oidc-provider reads its own request bodies (and refuses
 * pre-parsed ones with a warning), so under `/oidc` only our interaction pages take forms through
 * the shared parser.
 */
export function leaveBodiesToTheProvider(ctx: Context, next: Next): Promise<void> {
  if (ctx.path.startsWith('/oidc/') && !ctx.path.startsWith('/oidc/interaction/')) ctx.disableBodyParser = true;
  return next();
}
