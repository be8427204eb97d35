import { AuthError, endEverything } from '@authlab/auth-core';
import type { Context } from 'koa';
import { bearerToken } from '../../../api/principal.ts';
import type { AppDeps } from '../../../deps.ts';
import { readBody } from '../../../http/body.ts';
import { HttpError } from '../../../http/errors.ts';
import { refreshCookie, setRefreshCookie } from '../refresh-cookie.ts';
import { refreshBody } from './refresh.ts';

/**
 * `POST /jwt/logout`: ends the device's refresh family and every access token issued from it.
 * Works with the refresh token alone, or with only an access token, even an expired one: an
 * expired access token must not keep a person from signing out.
 */
export function logout(deps: AppDeps) {
  return async function logout(ctx: Context): Promise<void> {
    const body = ctx.request.type ? readBody(ctx, refreshBody) : {};
    const token = body.refresh_token ?? refreshCookie(ctx, deps.config);
    let revoked = false;
    if (token) revoked = (await deps.tokens.logout(token)) !== null;
    // With only an access token (even one that has expired since), end that token's own family.
    if (!revoked) {
      try {
        const bearer = bearerToken(ctx);
        if (bearer !== null) await deps.tokens.logoutWithAccessToken(bearer);
      } catch (error) {
        // Logout never fails for a bad or missing credential: there is nothing of it to end.
        if (!(error instanceof AuthError) && !(error instanceof HttpError)) throw error;
      }
    }
    if (refreshCookie(ctx, deps.config)) setRefreshCookie(ctx, deps.config, null);
    ctx.status = 204;
  };
}

/** `POST /jwt/logout-all` (behind `requireJwt`): ends everything the account holds, in every mode. */
export function logoutAll(deps: AppDeps) {
  return async function logoutAll(ctx: Context): Promise<void> {
    await endEverything(deps.store, ctx.state.jwt.user.id, { clock: deps.clock });
    setRefreshCookie(ctx, deps.config, null);
    ctx.status = 204;
  };
}
