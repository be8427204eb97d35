import type { Context } from 'koa';
import { z } from 'zod';
import type { AppDeps } from '../../../deps.ts';
import { readBody } from '../../../http/body.ts';
import { describeUserAgent } from '../../../web/user-agent.ts';
import { loginBody } from '../../session/actions/login.ts';
import { respondWithPair } from '../refresh-cookie.ts';

const jwtLoginBody = loginBody
  .extend({
    device_name: z.string().trim().min(1).max(100).optional(),
    /** `cookie`: the browser variant — the refresh token goes into an HttpOnly cookie, not the body. */
    refresh_token_delivery: z.enum(['body', 'cookie']).optional(),
  })
  .strict();

/** `POST /jwt/login`: a password sign-in that starts a refresh family for this device. */
export function login(deps: AppDeps) {
  return async function login(ctx: Context): Promise<void> {
    const body = readBody(ctx, jwtLoginBody);
    const user = await deps.authenticator.login(body.email, body.password, ctx.ip);
    const userAgent = ctx.get('User-Agent').slice(0, 256);
    const pair = await deps.tokens.login(user, {
      name: body.device_name ?? describeUserAgent(userAgent),
      userAgent,
      ip: ctx.ip,
    });
    respondWithPair(ctx, deps.config, pair, body.refresh_token_delivery ?? 'body');
  };
}
