import { endEverything } from '@authlab/auth-core';
import type { Context } from 'koa';
import type { AppDeps } from '../../../deps.ts';
import { formAware } from '../form-aware.ts';
import { signedInOrThrow } from '../signed-in.ts';

/** `POST /session/logout`: the session's record is deleted and its cookie cleared. */
export async function logout(ctx: Context): Promise<void> {
  await formAware(ctx, '/', async () => {
    ctx.session = null;
    ctx.status = 204;
  });
}

/** `POST /session/logout-all`: ends everything the account holds, in every mode, this session too. */
export function logoutAll(deps: AppDeps) {
  return async function logoutAll(ctx: Context): Promise<void> {
    await formAware(ctx, '/', async () => {
      const { user } = signedInOrThrow(ctx);
      await endEverything(deps.store, user.id, { clock: deps.clock });
      ctx.session = null;
      ctx.status = 204;
    });
  };
}
