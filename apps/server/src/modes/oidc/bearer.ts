import { AccessTokenVerifier, AuthError, type KeyRing } from '@authlab/auth-core';
import type { OidcRecord, User } from '@authlab/store';
import type { BearerVerifier } from '../../api/principal.ts';
import type { AppDeps } from '../../deps.ts';
import type { OidcEndpoints } from './clients.ts';

/** A live OIDC access token: its account, its grant, and the API scopes in the token. */
export interface OidcAccess {
  user: User;
  grant: OidcRecord;
  scopes: ReadonlySet<string>;
}

/** Resolves to the live access behind a token, or null for anything else; throws only for store failures. */
export type OidcAccessTokens = (token: string) => Promise<OidcAccess | null>;

/**
 * OIDC access tokens as the API and UserInfo see them: EdDSA JWTs from our provider (`typ:
 * at+jwt`, RFC 9068), for the API as audience (RFC 8707), checked by the same
 * {@link AccessTokenVerifier} as the JWT mode's, whose grant is still live and whose account is
 * enabled. An ID token (typ JWT, audience the client) never passes; a revoked grant (logout-all,
 * a replayed code or refresh token) stops its access tokens at once: the grant and the account
 * are read on every request, so revocation is never cached.
 */
export function oidcAccessTokens(deps: AppDeps, ring: KeyRing, endpoints: OidcEndpoints): OidcAccessTokens {
  const verifier = new AccessTokenVerifier(
    ring,
    {
      issuer: endpoints.issuer,
      audience: endpoints.apiResource,
      requiredClaims: ['sub', 'exp', 'iat', 'jti', 'client_id', 'gid'],
      clockToleranceSec: 5,
    },
    deps.clock,
  );

  return async (token) => {
    let claims: { sub: string; gid: string; scope: string };
    try {
      const payload = await verifier.verify(token);
      if (typeof payload.sub !== 'string' || typeof payload.gid !== 'string') return null;
      claims = { sub: payload.sub, gid: payload.gid, scope: typeof payload.scope === 'string' ? payload.scope : '' };
    } catch (error) {
      if (error instanceof AuthError) return null;
      throw error;
    }
    // The grant and the account in one store read (one SQLite statement).
    const found = await deps.store.credentialChecks.oidcGrant(claims.gid, claims.sub);
    if (!found) return null;
    const { grant, user } = found;
    if (grant.payload.accountId !== claims.sub) return null;
    if (!user || user.disabled) return null;
    // RFC 9068 §2.2.3: `scope` is space-delimited; a whole word must match, never a substring.
    return { user, grant, scopes: new Set(claims.scope.split(' ').filter(Boolean)) };
  };
}

/** The API's verifier for OIDC access tokens; the principal carries the token's scopes (RFC 6750 §3.1). */
export function oidcBearerVerifier(tokens: OidcAccessTokens): BearerVerifier {
  return async (token) => {
    const access = await tokens(token);
    return access && { user: access.user, mode: 'oidc', scopes: access.scopes };
  };
}
