import type { KeyRing } from '@authlab/auth-core';
import { jwtVerify } from 'jose';
import type { BearerVerifier } from '../../api/principal.ts';
import type { AppDeps } from '../../deps.ts';
import type { OidcEndpoints } from './clients.ts';

/**
 * The API's view of OIDC access tokens: EdDSA JWTs from our provider (`typ: at+jwt`, RFC 9068),
 * for the API as audience (RFC 8707), whose grant is still live. An ID token (typ JWT, audience
 * the client) never passes; a revoked grant (logout-all, a replayed code or refresh token)
 * stops its access tokens at once.
 */
export function oidcBearerVerifier(deps: AppDeps, ring: KeyRing, endpoints: OidcEndpoints): BearerVerifier {
  return async (token) => {
    if (token.length > 8192) return null;
    let payload: Record<string, unknown>;
    try {
      ring.refresh();
      ({ payload } = await jwtVerify(
        token,
        (header) => {
          const key = typeof header.kid === 'string' ? ring.verificationKey(header.kid) : undefined;
          if (!key) throw new Error('unknown key');
          return key;
        },
        {
          algorithms: ['EdDSA'],
          typ: 'at+jwt',
          issuer: endpoints.issuer,
          audience: endpoints.apiResource,
          requiredClaims: ['sub', 'exp', 'iat', 'jti', 'client_id', 'gid'],
          clockTolerance: 5,
          currentDate: new Date(deps.clock()),
        },
      ));
    } catch {
      return null;
    }
    if (typeof payload.sub !== 'string' || typeof payload.gid !== 'string') return null;
    const [grant, user] = await Promise.all([
      deps.store.oidc.find('Grant', payload.gid),
      deps.store.users.findById(payload.sub),
    ]);
    if (!grant || grant.payload.accountId !== payload.sub) return null;
    if (!user || user.disabled) return null;
    return { user, mode: 'oidc' };
  };
}
