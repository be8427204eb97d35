import type { Context, Next } from 'koa';
import { bearerToken, noCredentials } from '../../api/principal.ts';
import type { AppDeps } from '../../deps.ts';

/** Requires an access token of this mode, still valid and not revoked; sets `ctx.state.jwt`. */
export function requireJwt(deps: AppDeps) {
  return async function requireJwt(ctx: Context, next: Next): Promise<void> {
    const token = bearerToken(ctx);
    if (token === null) throw noCredentials('send an access token of the JWT mode');
    ctx.state.jwt = await deps.tokens.authenticate(token);
    await next();
  };
}
