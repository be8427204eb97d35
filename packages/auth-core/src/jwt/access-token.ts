import { randomUUID } from 'node:crypto';
import { type JWTPayload, SignJWT } from 'jose';
import type { KeyRing } from '../key-ring.ts';
import { AccessTokenVerifier, invalidToken } from './access-token-verifier.ts';

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
  readonly #verifier: AccessTokenVerifier;
  /**
   * The `kid` each recently seen header segment names. Every token signed with one key has the
   * same header, so the API decodes it once rather than on every request; the answer is a pure
   * function of the segment (whether the ring still has that key is asked every time).
   */
  readonly #kidOfHeader = new Map<string, string>();

  constructor(ring: KeyRing, settings: AccessTokenSettings, clock: () => number) {
    this.#ring = ring;
    this.#settings = { clockToleranceSec: 5, verifiedCacheSize: 10_000, ...settings };
    this.#clock = clock;
    const { issuer, audience, ttlSec, clockToleranceSec, verifiedCacheSize } = this.#settings;
    this.#verifier = new AccessTokenVerifier(
      ring,
      {
        issuer,
        audience,
        requiredClaims: ['iss', 'aud', 'sub', 'iat', 'exp', 'jti', 'sid'],
        clockToleranceSec,
        maxTokenAgeSec: ttlSec + clockToleranceSec,
        verifiedCacheSize,
      },
      clock,
    );
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
    const segment = token.slice(0, dot);
    let kid = this.#kidOfHeader.get(segment);
    if (kid === undefined) {
      kid = kidOfHeader(segment);
      if (kid === undefined) return false;
      // Bounded: a stream of made-up headers empties it rather than growing it.
      if (this.#kidOfHeader.size >= KID_MEMO_SIZE) this.#kidOfHeader.clear();
      this.#kidOfHeader.set(segment, kid);
    }
    this.#ring.refresh();
    return this.#ring.verificationKey(kid) !== undefined;
  }

  /**
   * Verifies signature and claims with the shared {@link AccessTokenVerifier} (EdDSA only,
   * `typ: at+jwt`, this mode's issuer and audience, at most `ttlSec` old). Revocation is the
   * caller's next step (see `TokenService.authenticate`).
   */
  async verify(token: string): Promise<AccessClaims> {
    return asClaims(await this.#verifier.verify(token));
  }

  /**
   * Verifies the token as at the second it was issued: signature, `typ`, issuer, audience and
   * claims exactly as `verify` does, expiry not. Only for ending the token's own family at logout
   * (an expired access token must not keep a person from signing out); it never authorises a
   * request. A token signed with a key since retired from the ring is refused.
   */
  async verifyAsIssued(token: string): Promise<AccessClaims> {
    return asClaims(await this.#verifier.verifyAsIssued(token));
  }
}

/** A ring holds three keys per algorithm; room for a rotation or two and other issuers' headers. */
const KID_MEMO_SIZE = 64;

/** The `kid` a JWS header segment names, if it decodes to an object with a string `kid`. */
function kidOfHeader(segment: string): string | undefined {
  try {
    const header = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')) as unknown;
    const kid = typeof header === 'object' && header !== null ? (header as { kid?: unknown }).kid : undefined;
    return typeof kid === 'string' ? kid : undefined;
  } catch {
    return undefined;
  }
}

function asClaims(payload: Readonly<JWTPayload>): AccessClaims {
  const p = payload as Record<string, unknown>;
  const strings = ['sub', 'jti', 'sid', 'role'] as const;
  for (const name of strings) {
    if (typeof p[name] !== 'string' || p[name] === '') throw invalidToken(`the ${name} claim is missing`);
  }
  return payload as unknown as AccessClaims;
}
