import type { Context } from 'koa';
import { z } from 'zod';
import type { AppDeps } from '../../../deps.ts';
import { readBody } from '../../../http/body.ts';
import { publicUser } from '../../../views.ts';
import { formAware } from '../form-aware.ts';
import { beginSession } from '../session-middleware.ts';

/** The password sign-in body of every mode (JSON or form): bounds only; auth-core normalises. */
export const loginBody = z
  .object({
    email: z.string().min(1).max(320),
    password: z.string().min(1),
  })
  .strict();

/** `POST /session/login`: a password sign-in that starts a new session (a new id every time). */
export function login(deps: AppDeps) {
  return async function login(ctx: Context): Promise<void> {
    await formAware(ctx, '/me', async () => {
      const { email, password } = readBody(ctx, loginBody);
      const user = await deps.authenticator.login(email, password, ctx.ip);
      await beginSession(ctx, deps, user);
      ctx.set('Cache-Control', 'no-store');
      ctx.body = { user: publicUser(user) };
    });
  };
}
