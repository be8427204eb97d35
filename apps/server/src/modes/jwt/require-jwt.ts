import type { Context, Next } from 'koa';
import { bearerToken, noCredentials, verifiedEarlier } from '../../api/principal.ts';
import type { AppDeps } from '../../deps.ts';

/** Requires an access token of this mode, still valid and not revoked; sets `ctx.state.jwt`. */
export function requireJwt(deps: AppDeps) {
  return async function requireJwt(ctx: Context, next: Next): Promise<void> {
    const token = bearerToken(ctx);
    if (token === null) throw noCredentials('send an access token of the JWT mode');
    const principal = verifiedEarlier(ctx, token);
    ctx.state.jwt =
      principal?.mode === 'jwt' && principal.claims
        ? { user: principal.user, claims: principal.claims }
        : await deps.tokens.authenticate(token);
    await next();
  };
}
