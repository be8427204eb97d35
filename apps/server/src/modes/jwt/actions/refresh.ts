import { AuthError, invalidGrant } from '@authlab/auth-core';
import type { Context } from 'koa';
import { z } from 'zod';
import type { AppDeps } from '../../../deps.ts';
import { readBody } from '../../../http/body.ts';
import { refreshCookie, respondWithPair, setRefreshCookie } from '../refresh-cookie.ts';

// No length cap here: a refresh token of any other shape is the same `invalid_grant` (RFC 6749
// §5.2), refused by the token service without a store lookup; the body limit bounds the size.
export const refreshBody = z.object({ refresh_token: z.string().min(1).optional() }).strict();

/**
 * `POST /jwt/refresh`: rotates the refresh token (from the body, else the browser variant's
 * cookie) into a new pair; a rotated token presented again revokes its family (RFC 9700 §4.14.2).
 */
export function refresh(deps: AppDeps) {
  return async function refresh(ctx: Context): Promise<void> {
    const body = ctx.request.type ? readBody(ctx, refreshBody) : {};
    const fromCookie = body.refresh_token === undefined;
    const token = body.refresh_token ?? refreshCookie(ctx, deps.config);
    if (!token) throw invalidGrant('send the refresh token');
    try {
      respondWithPair(ctx, deps.config, await deps.tokens.refresh(token), fromCookie ? 'cookie' : 'body');
    } catch (error) {
      if (fromCookie && error instanceof AuthError) setRefreshCookie(ctx, deps.config, null);
      throw error;
    }
  };
}
