import { AuthError } from '@authlab/auth-core';
import type { Context } from 'koa';
import type { AppDeps } from '../../../deps.ts';
import { readBody } from '../../../http/body.ts';
import { HttpError } from '../../../http/errors.ts';
import { loginBody } from '../../session/router.ts';
import type { InteractionFlow } from '../interaction-flow.ts';
import { loginPage } from '../interaction-pages.ts';

/** The refusals the login page explains in words; any other error propagates. */
const LOGIN_MESSAGES: Record<string, string> = {
  invalid_credentials: 'That email and password do not match. Check both and try again.',
  too_many_attempts: 'Too many failed attempts from here. Wait a few minutes, then try again.',
  password_too_long: 'That password is longer than 1024 bytes.',
  invalid_request: 'Enter your email and your password.',
};

/**
 * `POST /oidc/interaction/:uid/login`: the provider's password sign-in, through the same
 * authenticator (argon2, login limiter, one generic error) as every mode. A refusal shows the
 * login page again with its message and status (429 with `Retry-After` when limited).
 */
export function interactionLogin(deps: AppDeps, flow: InteractionFlow) {
  return async function interactionLogin(ctx: Context): Promise<void> {
    const interaction = await flow.current(ctx, 'login');
    try {
      const { email, password } = readBody(ctx, loginBody);
      const user = await deps.authenticator.login(email, password, ctx.ip);
      await flow.finish(ctx, { login: { accountId: user.id } }, false);
    } catch (error) {
      const code = error instanceof AuthError || error instanceof HttpError ? error.code : undefined;
      if (!code || !(code in LOGIN_MESSAGES)) throw error;
      const { clientName } = await flow.clientOf(interaction);
      ctx.status = error instanceof AuthError ? error.status : 400;
      if (error instanceof AuthError && error.retryAfterSec) ctx.set('Retry-After', String(error.retryAfterSec));
      ctx.type = 'html';
      ctx.body = loginPage({
        uid: interaction.uid,
        clientName,
        error: LOGIN_MESSAGES[code],
      });
    }
  };
}
