import { decodeJwt, type JWTPayload, jwtVerify } from 'jose';
import { AuthError } from '../errors.ts';
import type { KeyRing } from '../key-ring.ts';
import { claimsWindow, VerifiedTokenCache } from '../verified-token-cache.ts';
import { isCanonicalCompactJws } from './canonical-jws.ts';

/** What a resource server (the API) accepts from one issuer. */
export interface AccessTokenPolicy {
  issuer: string;
  /** The API's identifier (RFC 8707 resource, RFC 9068 §4 `aud`). */
  audience: string;
  /** Claims a token must carry, beyond the signature: RFC 9068 §2.2 names its own. */
  requiredClaims: string[];
  /** Small, for clock skew between instances (RFC 7519 §4.1.4). */
  clockToleranceSec: number;
  /** With `iat`: the most a token may be older than (jose's `maxTokenAge`), for issuers that promise a TTL. */
  maxTokenAgeSec?: number;
  /** Verified tokens remembered so a repeat skips the signature check (0 turns the cache off). */
  verifiedCacheSize?: number;
}

/** No real token of ours comes near this; a megabyte of "JWT" is refused before any parsing. */
const MAX_TOKEN_LENGTH = 8192;

export const invalidToken = (description = 'the access token is invalid, expired or revoked') =>
  new AuthError('invalid_token', 401, description);

/**
 * The one check of an access token's signature and claims, shared by the JWT mode and the OpenID
 * Provider's API tokens (both JWTs signed by a local key ring). RFC 8725 §3.1: the algorithm is
 * pinned to EdDSA (so `none` and HS256-with-the-public-key confusion fail); §3.11: `typ` must be
 * `at+jwt` (RFC 9068 §4), so an ID token cannot be replayed as an access token. The key is looked
 * up by `kid` in memory only: `jwk`, `jku`, `x5u`, `x5c` headers are never followed.
 *
 * A token verified before is taken from a bounded cache without a second signature check, only
 * inside its time window on the injected clock and while its key is still in the ring.
 * Revocation is each caller's next step, on every request.
 *
 * @example
 * const verifier = new AccessTokenVerifier(ring, { issuer, audience, requiredClaims: ['sub'], clockToleranceSec: 5 }, Date.now);
 * const payload = await verifier.verify(token); // throws AuthError invalid_token
 */
export class AccessTokenVerifier {
  readonly #ring: KeyRing;
  readonly #policy: AccessTokenPolicy;
  readonly #clock: () => number;
  readonly #verified: VerifiedTokenCache<{ payload: Readonly<JWTPayload>; kid: string }> | undefined;

  constructor(ring: KeyRing, policy: AccessTokenPolicy, clock: () => number) {
    this.#ring = ring;
    this.#policy = policy;
    this.#clock = clock;
    const size = policy.verifiedCacheSize ?? 10_000;
    this.#verified = size > 0 ? new VerifiedTokenCache({ maxEntries: size }) : undefined;
  }

  /** The token's verified claims (frozen); throws `invalid_token` for anything else. */
  async verify(token: string): Promise<Readonly<JWTPayload>> {
    if (token.length > MAX_TOKEN_LENGTH) throw invalidToken();
    // Picks up a rotation made by another instance (a stat at most every 5 s, whatever the token
    // says): the key lookup below stays in memory, so a token's `kid` never causes I/O.
    this.#ring.refresh();
    const now = this.#clock();
    // A hit is the very string that passed every check below, its spelling included.
    const cached = this.#verified?.get(token, now);
    if (cached) {
      // A ring replaced by `pnpm keys init`, or a retired key past its use, no longer has the kid.
      if (this.#ring.verificationKey(cached.kid)) return cached.payload;
      this.#verified?.delete(token);
    }
    // One spelling per token (RFC 7515 §2, RFC 4648 §3.5): no padding, no set unused bits.
    if (!isCanonicalCompactJws(token)) throw invalidToken();
    const { clockToleranceSec, maxTokenAgeSec } = this.#policy;
    const { payload, kid } = await this.#verifyAt(token, now, maxTokenAgeSec);
    this.#verified?.set(
      token,
      { payload, kid },
      claimsWindow(payload, {
        toleranceSec: clockToleranceSec,
        ...(maxTokenAgeSec !== undefined ? { maxTokenAgeSec } : {}),
      }),
    );
    return payload;
  }

  /**
   * Verifies the token as at the second it was issued (its own `iat`): signature, `typ`, issuer,
   * audience and claims exactly as {@link verify}, expiry not, never cached. Only for ending the
   * token's own family at logout; it never authorises a request.
   */
  async verifyAsIssued(token: string): Promise<Readonly<JWTPayload>> {
    if (token.length > MAX_TOKEN_LENGTH || !isCanonicalCompactJws(token)) throw invalidToken();
    let iat: unknown;
    try {
      iat = decodeJwt(token).iat; // unverified: it only picks the instant to verify at
    } catch {
      throw invalidToken();
    }
    if (typeof iat !== 'number' || !Number.isFinite(iat)) throw invalidToken();
    this.#ring.refresh();
    return (await this.#verifyAt(token, iat * 1000)).payload;
  }

  async #verifyAt(
    token: string,
    nowMs: number,
    maxTokenAgeSec?: number,
  ): Promise<{ payload: Readonly<JWTPayload>; kid: string }> {
    const { issuer, audience, requiredClaims, clockToleranceSec } = this.#policy;
    let kid = '';
    try {
      const { payload } = await jwtVerify(
        token,
        (header) => {
          const key = typeof header.kid === 'string' ? this.#ring.verificationKey(header.kid) : undefined;
          if (!key) throw invalidToken('unknown signing key');
          kid = header.kid as string;
          return key;
        },
        {
          algorithms: ['EdDSA'],
          typ: 'at+jwt',
          issuer,
          audience,
          requiredClaims,
          clockTolerance: clockToleranceSec,
          currentDate: new Date(nowMs),
          ...(maxTokenAgeSec !== undefined ? { maxTokenAge: maxTokenAgeSec } : {}),
        },
      );
      return { payload: Object.freeze(payload), kid };
    } catch (error) {
      if (error instanceof AuthError) throw error;
      throw invalidToken();
    }
  }
}
