import type { AccessClaims } from '@authlab/auth-core';
import type { User } from '@authlab/store';
import type Koa from 'koa';
import type { Context, Next } from 'koa';
import { HttpError } from '../http/errors.ts';

export type AuthMode = 'session' | 'jwt' | 'oidc';

export interface Principal {
  user: User;
  mode: AuthMode;
  /**
   * The scopes a delegated credential (an OIDC access token) was granted. Absent for the
   * first-party credentials (a session, a JWT-mode token), which cover the whole API.
   */
  scopes?: ReadonlySet<string>;
  /** A JWT-mode token's verified claims, so the mode's own routes need not verify it again. */
  claims?: AccessClaims;
}

/**
 * Turns a Bearer token into a principal, or null when the token is not one of this verifier's
 * (the next verifier is tried). Throws only for store failures. The JWT and OIDC modes add theirs.
 */
export type BearerVerifier = (token: string) => Promise<Principal | null>;

/** RFC 6750 §3: no error code when no credentials were sent, `invalid_token` when a bad one was. */
export const noCredentials = (description = 'send a session cookie or a Bearer token') =>
  new HttpError(401, 'unauthenticated', description, { 'WWW-Authenticate': 'Bearer realm="authlab"' });
export const invalidToken = () =>
  new HttpError(401, 'invalid_token', 'the access token is invalid, expired or revoked', {
    'WWW-Authenticate': 'Bearer realm="authlab", error="invalid_token"',
  });

/** RFC 6750 §3.1: a valid token without the scope the resource needs. */
export const insufficientScope = (scope: string) =>
  new HttpError(403, 'insufficient_scope', `the access token was not granted the ${scope} scope`, {
    'WWW-Authenticate': `Bearer realm="authlab", error="insufficient_scope", scope="${scope}"`,
  });

// RFC 7235 §2.1: the auth-scheme is case-insensitive (`bearer`, `BEARER`); the token is not.
const BEARER = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/i;

/**
 * The Bearer token of the request: `null` when no Authorization header was sent; throws 401
 * without an error code for another scheme (Basic, …), and `invalid_token` for a malformed Bearer
 * credential (RFC 6750 §2.1 syntax). One parser for every route that takes a Bearer token.
 */
export function bearerToken(ctx: Context): string | null {
  const header = ctx.get('Authorization');
  if (header === '') return null;
  if (!/^bearer\s/i.test(header)) throw noCredentials();
  const match = BEARER.exec(header);
  if (!match?.[1]) throw invalidToken();
  return match[1];
}

/** The principal of the first verifier that accepts the token, or null; a disabled account's is null. */
export async function verifyBearer(token: string, verifiers: BearerVerifier[]): Promise<Principal | null> {
  for (const verify of verifiers) {
    const principal = await verify(token);
    if (principal) return principal.user.disabled ? null : principal;
  }
  return null;
}

/**
 * Whether the request is authenticated by a Bearer token this server accepts, with no cookie
 * beside it: the one kind of request that carries no ambient credential a foreign page could
 * borrow (the origin check's exemption). Basic or Negotiate credentials, which browsers attach by
 * themselves, and tokens we would refuse do not count.
 */
export function acceptedBearerOnly(verifiers: BearerVerifier[]) {
  return async (ctx: Context): Promise<boolean> => {
    if (ctx.get('Cookie') !== '') return false;
    let token: string | null;
    try {
      token = bearerToken(ctx);
    } catch {
      return false; // another scheme, or a malformed Bearer credential
    }
    if (token === null) return false;
    const principal = await verifyBearer(token, verifiers);
    if (principal) ctx.state.verifiedBearer = { token, principal };
    return principal !== null;
  };
}

/**
 * The principal of `token` if this request already verified it (a cross-origin call, by the
 * origin check), so that a Bearer token is verified once per request.
 */
export function verifiedEarlier(ctx: Context, token: string): Principal | undefined {
  const verified = ctx.state.verifiedBearer;
  return verified?.token === token ? verified.principal : undefined;
}

/**
 * Authenticates an API request with any mode's credential: a Bearer token through `verifiers`
 * (the JWT and OIDC modes'), else the session cookie through `withSession` (the session mode's
 * layer, which reads the store only for such a request). When a Bearer token and a cookie are
 * both sent, the Bearer token alone decides (no fallback to the cookie on a bad token).
 */
export function requirePrincipal(verifiers: BearerVerifier[], withSession: Koa.Middleware) {
  return async function authenticate(ctx: Context, next: Next): Promise<void> {
    const token = bearerToken(ctx);
    if (token === null) {
      return withSession(ctx, () => {
        const signedIn = ctx.state.signedIn;
        if (!signedIn) throw noCredentials();
        ctx.state.principal = { user: signedIn.user, mode: 'session' };
        return next();
      });
    }
    const principal = verifiedEarlier(ctx, token) ?? (await verifyBearer(token, verifiers));
    if (!principal) throw invalidToken();
    ctx.state.principal = principal;
    await next();
  };
}

/**
 * Refuses a delegated credential without `scope` (the consent page promised the person that
 * only an app granted it can read and write their notes). First-party credentials pass.
 */
export function requireScope(scope: string) {
  return function checkScope(ctx: Context, next: Next): Promise<void> {
    const { scopes } = ctx.state.principal as Principal;
    if (scopes && !scopes.has(scope)) throw insufficientScope(scope);
    return next();
  };
}
