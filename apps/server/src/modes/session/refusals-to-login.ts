import type { Context } from 'koa';
import { FederationError, upstreamErrorOf } from './federation-error.ts';

/**
 * Runs a federated action; every refusal (a `FederationError`) goes back to the login page with
 * its code and is logged for the operator. Anything else is a real error and propagates.
 */
export async function refusalsToLogin(ctx: Context, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    if (!(error instanceof FederationError)) throw error;
    const cause = (error.cause as Error | undefined)?.message;
    ctx.state.log?.warn(
      { code: error.code, reason: error.message, cause, ...upstreamErrorOf(error.cause), ...error.detail },
      'federated sign-in refused',
    );
    ctx.set('Cache-Control', 'no-store');
    ctx.redirect(`/login?error=${error.code}`);
    ctx.status = 303;
  }
}
