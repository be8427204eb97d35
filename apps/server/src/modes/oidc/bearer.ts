import { AccessTokenVerifier, AuthError, type KeyRing } from '@authlab/auth-core';
import type { BearerVerifier } from '../../api/principal.ts';
import type { AppDeps } from '../../deps.ts';
import type { OidcEndpoints } from './clients.ts';

/**
 * The API's view of OIDC access tokens: EdDSA JWTs from our provider (`typ: at+jwt`, RFC 9068),
 * for the API as audience (RFC 8707), whose grant is still live, checked by the same
 * {@link AccessTokenVerifier} as the JWT mode's. An ID token (typ JWT, audience the client)
 * never passes; a revoked grant (logout-all, a replayed code or refresh token) stops its access
 * tokens at once. The token's scopes go with the principal: the API needs `api` (RFC 6750 §3.1).
 *
 * The grant and the account are read on every request, so revocation is never cached.
 */
export function oidcBearerVerifier(deps: AppDeps, ring: KeyRing, endpoints: OidcEndpoints): BearerVerifier {
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
    const [grant, user] = await Promise.all([
      deps.store.oidc.find('Grant', claims.gid),
      deps.store.users.findById(claims.sub),
    ]);
    if (!grant || grant.payload.accountId !== claims.sub) return null;
    if (!user || user.disabled) return null;
    // RFC 9068 §2.2.3: `scope` is space-delimited; a whole word must match, never a substring.
    return { user, mode: 'oidc', scopes: new Set(claims.scope.split(' ').filter(Boolean)) };
  };
}
