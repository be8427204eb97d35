import { randomUUID } from 'node:crypto';
import { decodeJwt, type JWTPayload, jwtVerify, SignJWT } from 'jose';
import { AuthError } from '../errors.ts';
import type { KeyRing } from '../key-ring.ts';
import { claimsWindow, VerifiedTokenCache } from '../verified-token-cache.ts';
import { isCanonicalCompactJws } from './canonical-jws.ts';

export interface AccessTokenSettings {
  /** `PUBLIC_URL`. */
  issuer: string;
  /** `PUBLIC_URL/api`. */
  audience: string;
  ttlSec: number;
  /** Small, for clock skew between instances (RFC 7519 §4.1.4 allows "a few minutes" of leeway; 5 s is plenty on one site). */
  clockToleranceSec?: number;
  /** Verified tokens remembered so a repeat skips the signature check (0 turns the cache off). */
  verifiedCacheSize?: number;
}

/** The claims of an access token of this mode (RFC 9068 §2.2, plus `role` and the family `sid`). */
export interface AccessClaims {
  iss: string;
  aud: string;
  sub: string;
  iat: number;
  exp: number;
  jti: string;
  client_id: string;
  role: string;
  /** The refresh family (device) it was issued from: revoking the family kills it too. */
  sid: string;
}

/** No real token of ours comes near this; a megabyte of "JWT" is refused before any parsing. */
const MAX_TOKEN_LENGTH = 4096;

export const invalidToken = (description = 'the access token is invalid, expired or revoked') =>
  new AuthError('invalid_token', 401, description);

/**
 * Issues and verifies the JWT mode's access tokens: EdDSA, `typ: at+jwt` (RFC 9068), keys only
 * from the local ring.
 *
 * @example
 * const tokens = new AccessTokens(ring, { issuer, audience, ttlSec: 900 }, Date.now);
 * const { token } = await tokens.issue({ sub: user.id, role: user.role, sid: family.id });
 * const claims = await tokens.verify(token); // throws AuthError invalid_token
 */
export class AccessTokens {
  readonly #ring: KeyRing;
  readonly #settings: Required<AccessTokenSettings>;
  readonly #clock: () => number;
  readonly #verified: VerifiedTokenCache<{ claims: AccessClaims; kid: string }> | undefined;

  constructor(ring: KeyRing, settings: AccessTokenSettings, clock: () => number) {
    this.#ring = ring;
    this.#settings = { clockToleranceSec: 5, verifiedCacheSize: 10_000, ...settings };
    this.#clock = clock;
    const size = this.#settings.verifiedCacheSize;
    this.#verified = size > 0 ? new VerifiedTokenCache({ maxEntries: size }) : undefined;
  }

  get ttlSec(): number {
    return this.#settings.ttlSec;
  }

  async issue(subject: { sub: string; role: string; sid: string }): Promise<{ token: string; claims: AccessClaims }> {
    const { kid, privateKey } = this.#ring.signingKey();
    const iat = Math.floor(this.#clock() / 1000);
    const claims: AccessClaims = {
      iss: this.#settings.issuer,
      aud: this.#settings.audience,
      sub: subject.sub,
      iat,
      exp: iat + this.#settings.ttlSec,
      jti: randomUUID(),
      client_id: 'authlab-jwt',
      role: subject.role,
      sid: subject.sid,
    };
    const token = await new SignJWT({ ...claims })
      .setProtectedHeader({ alg: 'EdDSA', kid, typ: 'at+jwt' })
      .sign(privateKey);
    return { token, claims };
  }

  /**
   * Whether the token's header names a usable key of this ring: a routing test, not a
   * verification (no signature check). The API asks it before `verify`, so a token of another
   * mode (an OIDC access token) is passed on without the cost of a failed verification; for such
   * a token `verify` would refuse the same way.
   */
  namesRingKey(token: string): boolean {
    const dot = token.indexOf('.');
    if (token.length > MAX_TOKEN_LENGTH || dot < 1) return false;
    let kid: unknown;
    try {
      const header = JSON.parse(Buffer.from(token.slice(0, dot), 'base64url').toString('utf8')) as unknown;
      kid = typeof header === 'object' && header !== null ? (header as { kid?: unknown }).kid : undefined;
    } catch {
      return false;
    }
    if (typeof kid !== 'string') return false;
    this.#ring.refresh();
    return this.#ring.verificationKey(kid) !== undefined;
  }

  /**
   * Verifies signature and claims. RFC 8725 §3.1: the algorithm is pinned to EdDSA (so `none`
   * and HS256-with-the-public-key confusion fail); §3.11: `typ` must be `at+jwt`, so an ID token
   * or another JWT cannot be replayed as an access token. The key is looked up by `kid` in
   * memory only: `jwk`, `jku`, `x5u`, `x5c` headers are never followed (no I/O for unknown kids).
   * Revocation is the caller's next step (see `TokenService.authenticate`).
   *
   * A token verified before is taken from a bounded cache without a second signature check, but
   * only inside its time window on the injected clock and while its key is still in the ring; the
   * caller's revocation checks run on every request either way.
   */
  async verify(token: string): Promise<AccessClaims> {
    if (token.length > MAX_TOKEN_LENGTH || !isCanonicalCompactJws(token)) throw invalidToken();
    // Picks up a rotation made by another instance (a stat at most every 5 s, whatever the token
    // says): the key lookup below stays in memory, so a token's `kid` never causes I/O.
    this.#ring.refresh();
    const now = this.#clock();
    const cached = this.#verified?.get(token, now);
    if (cached) {
      // A ring replaced by `pnpm keys init`, or a retired key past its use, no longer has the kid.
      if (this.#ring.verificationKey(cached.kid)) return cached.claims;
      this.#verified?.delete(token);
    }
    const { claims, kid } = await this.#verifyAt(token, now, this.#settings.ttlSec + this.#settings.clockToleranceSec);
    this.#verified?.set(
      token,
      { claims, kid },
      claimsWindow(claims, {
        toleranceSec: this.#settings.clockToleranceSec,
        maxTokenAgeSec: this.#settings.ttlSec + this.#settings.clockToleranceSec,
      }),
    );
    return claims;
  }

  /**
   * Verifies the token as at the second it was issued: signature, `typ`, issuer, audience and
   * claims exactly as `verify` does, expiry not. Only for ending the token's own family at logout
   * (an expired access token must not keep a person from signing out); it never authorises a
   * request. A token signed with a key since retired from the ring is refused.
   */
  async verifyAsIssued(token: string): Promise<AccessClaims> {
    if (token.length > MAX_TOKEN_LENGTH || !isCanonicalCompactJws(token)) throw invalidToken();
    let iat: unknown;
    try {
      iat = decodeJwt(token).iat; // unverified: it only picks the instant to verify at
    } catch {
      throw invalidToken();
    }
    if (typeof iat !== 'number' || !Number.isFinite(iat)) throw invalidToken();
    this.#ring.refresh();
    return (await this.#verifyAt(token, iat * 1000)).claims;
  }

  async #verifyAt(token: string, nowMs: number, maxTokenAge?: number): Promise<{ claims: AccessClaims; kid: string }> {
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
          issuer: this.#settings.issuer,
          audience: this.#settings.audience,
          requiredClaims: ['iss', 'aud', 'sub', 'iat', 'exp', 'jti', 'sid'],
          clockTolerance: this.#settings.clockToleranceSec,
          currentDate: new Date(nowMs),
          ...(maxTokenAge === undefined ? {} : { maxTokenAge }),
        },
      );
      return { claims: Object.freeze(asClaims(payload)), kid };
    } catch (error) {
      if (error instanceof AuthError) throw error;
      throw invalidToken();
    }
  }
}

function asClaims(payload: JWTPayload): AccessClaims {
  const p = payload as Record<string, unknown>;
  const strings = ['sub', 'jti', 'sid', 'role'] as const;
  for (const name of strings) {
    if (typeof p[name] !== 'string' || p[name] === '') throw invalidToken(`the ${name} claim is missing`);
  }
  return payload as unknown as AccessClaims;
}
