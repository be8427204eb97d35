import type { TokenPair } from '@authlab/auth-core';
import type { Context } from 'koa';
import type { AppDeps } from '../../deps.ts';

/** Path=/jwt: the browser sends it only to this mode's own endpoints, never to the API. */
export const refreshCookieName = (secure: boolean) => (secure ? '__Secure-authlab.rt' : 'authlab.rt');

/** RFC 6749 §5.1: token responses must not be cached. */
export function noStore(ctx: Context): void {
  ctx.set('Cache-Control', 'no-store');
  ctx.set('Pragma', 'no-cache');
}

/** The browser variant's refresh token, in an HttpOnly cookie; `null` clears it. */
export function setRefreshCookie(ctx: Context, config: AppDeps['config'], token: string | null): void {
  ctx.cookies.set(refreshCookieName(config.secureCookies), token ?? '', {
    path: '/jwt',
    httpOnly: true,
    sameSite: 'strict',
    secure: config.secureCookies,
    signed: false,
    overwrite: true,
    ...(token ? { maxAge: config.jwt.refreshIdleTtlMs } : { expires: new Date(0) }),
  });
}

/** The refresh token the browser variant sent in its cookie, if any. */
export function refreshCookie(ctx: Context, config: AppDeps['config']): string | undefined {
  return ctx.cookies.get(refreshCookieName(config.secureCookies));
}

/**
 * A token response: the whole pair in the body, or (`cookie`, the browser variant) the refresh
 * token in its HttpOnly cookie and the rest in the body.
 */
export function respondWithPair(
  ctx: Context,
  config: AppDeps['config'],
  pair: TokenPair,
  delivery: 'body' | 'cookie',
): void {
  noStore(ctx);
  if (delivery === 'cookie') {
    setRefreshCookie(ctx, config, pair.refresh_token);
    const { refresh_token: _kept, ...rest } = pair;
    ctx.body = rest;
  } else {
    ctx.body = pair;
  }
}
