import type { Context } from 'koa';
import type { AppDeps } from '../../../deps.ts';
import { publicUser } from '../../../views.ts';
import { sessionExpiry } from '../session-store.ts';
import { signedInOrThrow } from '../signed-in.ts';

/** `GET /session/me`: the signed-in account and when its session started and ends. */
export function me(deps: AppDeps) {
  return function me(ctx: Context): void {
    const { user, session } = signedInOrThrow(ctx);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = {
      user: publicUser(user),
      session: {
        createdAt: new Date(session.createdAt).toISOString(),
        expiresAt: new Date(sessionExpiry(session.createdAt, session.lastSeenAt, deps.config.session)).toISOString(),
      },
    };
  };
}
