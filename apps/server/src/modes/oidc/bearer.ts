import { claimsWindow, isCanonicalCompactJws, type KeyRing, VerifiedTokenCache } from '@authlab/auth-core';
import { jwtVerify } from 'jose';
import type { BearerVerifier } from '../../api/principal.ts';
import type { AppDeps } from '../../deps.ts';
import type { OidcEndpoints } from './clients.ts';

const CLOCK_TOLERANCE_SEC = 5;

/** What a verified OIDC access token tells the API; the rest of its claims are not needed. */
interface VerifiedOidcToken {
  sub: string;
  gid: string;
  kid: string;
}

/**
 * The API's view of OIDC access tokens: EdDSA JWTs from our provider (`typ: at+jwt`, RFC 9068),
 * for the API as audience (RFC 8707), whose grant is still live. An ID token (typ JWT, audience
 * the client) never passes; a revoked grant (logout-all, a replayed code or refresh token)
 * stops its access tokens at once.
 *
 * A token verified before skips the signature check (a bounded cache, within the token's time
 * window on the injected clock, while its key is in the ring); the grant and the account are
 * read on every request, so revocation is never cached.
 */
export function oidcBearerVerifier(deps: AppDeps, ring: KeyRing, endpoints: OidcEndpoints): BearerVerifier {
  const verified = new VerifiedTokenCache<VerifiedOidcToken>({ maxEntries: 10_000 });

  const verify = async (token: string): Promise<VerifiedOidcToken | null> => {
    ring.refresh();
    const now = deps.clock();
    const cached = verified.get(token, now);
    if (cached) {
      if (ring.verificationKey(cached.kid)) return cached;
      verified.delete(token);
    }
    let kid = '';
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(
        token,
        (header) => {
          const key = typeof header.kid === 'string' ? ring.verificationKey(header.kid) : undefined;
          if (!key) throw new Error('unknown key');
          kid = header.kid as string;
          return key;
        },
        {
          algorithms: ['EdDSA'],
          typ: 'at+jwt',
          issuer: endpoints.issuer,
          audience: endpoints.apiResource,
          requiredClaims: ['sub', 'exp', 'iat', 'jti', 'client_id', 'gid'],
          clockTolerance: CLOCK_TOLERANCE_SEC,
          currentDate: new Date(now),
        },
      ));
    } catch {
      return null;
    }
    if (typeof payload.sub !== 'string' || typeof payload.gid !== 'string') return null;
    const result = Object.freeze({ sub: payload.sub, gid: payload.gid, kid });
    verified.set(token, result, claimsWindow(payload, { toleranceSec: CLOCK_TOLERANCE_SEC }));
    return result;
  };

  return async (token) => {
    // One spelling per token (RFC 7515 §2, RFC 4648 §3.5): no padding, no set unused bits.
    if (token.length > 8192 || !isCanonicalCompactJws(token)) return null;
    const claims = await verify(token);
    if (!claims) return null;
    const [grant, user] = await Promise.all([
      deps.store.oidc.find('Grant', claims.gid),
      deps.store.users.findById(claims.sub),
    ]);
    if (!grant || grant.payload.accountId !== claims.sub) return null;
    if (!user || user.disabled) return null;
    return { user, mode: 'oidc' };
  };
}
