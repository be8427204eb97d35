import type { User } from '@authlab/store';
import type { Context, Next } from 'koa';
import type { AppDeps } from '../deps.ts';
import { HttpError } from '../http/errors.ts';
import { sessionUser } from '../modes/session/session-middleware.ts';

export type AuthMode = 'session' | 'jwt' | 'oidc';

export interface Principal {
  user: User;
  mode: AuthMode;
}

/**
 * Turns a Bearer token into a principal, or null when the token is not one of this verifier's
 * (the next verifier is tried). Throws only for store failures. The JWT and OIDC modes add theirs.
 */
export type BearerVerifier = (token: string) => Promise<Principal | null>;

/** RFC 6750 §3: no error code when no credentials were sent, `invalid_token` when a bad one was. */
const noCredentials = () =>
  new HttpError(401, 'unauthenticated', 'send a session cookie or a Bearer token', {
    'WWW-Authenticate': 'Bearer realm="authlab"',
  });
const invalidToken = () =>
  new HttpError(401, 'invalid_token', 'the access token is invalid, expired or revoked', {
    'WWW-Authenticate': 'Bearer realm="authlab", error="invalid_token"',
  });

const BEARER = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/;

/**
 * Authenticates an API request with any mode's credential. When a Bearer token and a cookie are
 * both sent, the Bearer token alone decides (no fallback to the cookie on a bad token).
 */
export function requirePrincipal(deps: AppDeps, verifiers: BearerVerifier[]) {
  return async function authenticate(ctx: Context, next: Next): Promise<void> {
    const header = ctx.get('Authorization');
    let principal: Principal | null = null;
    if (header !== '') {
      // Another scheme (Basic, …) is not a Bearer credential at all: challenge without an error code.
      if (!/^bearer\s/i.test(header)) throw noCredentials();
      const match = BEARER.exec(header);
      if (!match?.[1]) throw invalidToken();
      for (const verify of verifiers) {
        principal = await verify(match[1]);
        if (principal) break;
      }
      if (!principal || principal.user.disabled) throw invalidToken();
    } else {
      const found = await sessionUser(ctx, deps);
      if (!found) throw noCredentials();
      principal = { user: found.user, mode: 'session' };
    }
    ctx.state.principal = principal;
    await next();
  };
}
