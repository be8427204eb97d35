import { endEverything } from '@authlab/auth-core';
import type { Context } from 'koa';
import type { AppDeps } from '../../deps.ts';

/**
 * `POST /api/logout-all`: with any mode's credential, ends every session, refresh family and
 * OIDC grant of the account; a session caller's own cookie is cleared too.
 */
export function logoutAll(deps: AppDeps) {
  return async function logoutAll(ctx: Context): Promise<void> {
    const { user, mode } = ctx.state.principal;
    await endEverything(deps.store, user.id, { clock: deps.clock });
    if (mode === 'session') ctx.session = null;
    ctx.status = 204;
  };
}
