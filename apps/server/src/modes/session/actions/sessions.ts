import type { Context } from 'koa';
import type { AppDeps } from '../../../deps.ts';
import { notFound } from '../../../http/errors.ts';
import { sessionView } from '../../../views.ts';
import { signedInOrThrow } from '../signed-in.ts';

/** `GET /session/sessions`: the account's sessions, by their public handles (never a cookie value). */
export function listSessions(deps: AppDeps) {
  return async function listSessions(ctx: Context): Promise<void> {
    const { user, session } = signedInOrThrow(ctx);
    const sessions = await deps.store.sessions.listByUser(user.id);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { sessions: sessions.map(({ record }) => sessionView(record, session.handle)) };
  };
}

/**
 * `DELETE /session/sessions/:id`: ends one of the account's sessions, this one included. Another
 * account's handle is a 404 like an unknown one.
 */
export function revokeSession(deps: AppDeps) {
  return async function revokeSession(ctx: Context): Promise<void> {
    const { user, session } = signedInOrThrow(ctx);
    const sessions = await deps.store.sessions.listByUser(user.id);
    const target = sessions.find(({ record }) => record.handle === ctx.params.id);
    if (!target) throw notFound();
    await deps.store.sessions.delete(target.key);
    if (target.record.handle === session.handle) ctx.session = null;
    ctx.status = 204;
  };
}
