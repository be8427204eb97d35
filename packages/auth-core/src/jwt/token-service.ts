import { createHash, randomBytes } from 'node:crypto';
import type { CredentialChecks, RefreshFamily, RefreshTokenRepository, User, UserRepository } from '@authlab/store';
import { AuthError } from '../errors.ts';
import type { AccessClaims, AccessTokens } from './access-token.ts';
import { invalidToken } from './access-token-verifier.ts';
import { openSuccessor, sealSuccessor } from './successor-seal.ts';

/** RFC 6749 §5.1 token response. */
export interface TokenPair {
  token_type: 'Bearer';
  access_token: string;
  expires_in: number;
  refresh_token: string;
}

export interface DeviceInfo {
  name: string;
  userAgent: string;
  ip: string;
}

export interface TokenServiceDeps {
  users: UserRepository;
  refreshTokens: RefreshTokenRepository;
  /** The per-request revocation read (`Store.credentialChecks`). */
  credentialChecks: Pick<CredentialChecks, 'accessToken'>;
  accessTokens: AccessTokens;
  clock: () => number;
  refreshIdleTtlMs: number;
  refreshAbsoluteTtlMs: number;
  /**
   * For this long after a rotation, the rotated token presented again returns the same successor
   * (while that is unused) instead of revoking the family: the retry of a refresh whose answer was
   * lost. 0: strict, every second presentation is reuse.
   */
  refreshReuseGraceMs: number;
}

/** RFC 6749 §5.2: every refresh failure is the same `invalid_grant`, whatever the cause. */
export const invalidGrant = (description = 'the refresh token is invalid, expired, revoked or was already used') =>
  new AuthError('invalid_grant', 401, description);

/** 256 random bits, base64url: 43 characters. Anything else is refused without touching the store. */
const REFRESH_TOKEN = /^[A-Za-z0-9_-]{43}$/;

/** Refresh tokens are stored only as their SHA-256 (a database copy holds no usable token). */
export const hashRefreshToken = (token: string) => createHash('sha256').update(token).digest('base64url');

const newRefreshToken = () => randomBytes(32).toString('base64url');

/** 128 random bits: the family id appears in tokens (`sid`) and in device URLs. */
const newFamilyId = () => randomBytes(16).toString('base64url');

/**
 * The JWT mode's lifecycle: sign-in creates a per-device refresh family, every refresh rotates
 * (RFC 9700 §4.14.2), a replayed refresh token revokes its family, and access tokens are checked
 * against family revocation and the user's "revoked before" time on every request.
 *
 * @example
 * const pair = await service.login(user, { name: 'laptop', userAgent, ip });
 * const next = await service.refresh(pair.refresh_token); // pair.refresh_token is now spent
 * const { user, claims } = await service.authenticate(next.access_token);
 */
export class TokenService {
  readonly #d: TokenServiceDeps;

  constructor(deps: TokenServiceDeps) {
    this.#d = deps;
  }

  async login(user: User, device: DeviceInfo): Promise<TokenPair> {
    const now = this.#d.clock();
    const refreshToken = newRefreshToken();
    const family = {
      id: newFamilyId(),
      userId: user.id,
      name: device.name,
      userAgent: device.userAgent,
      ip: device.ip,
      createdAt: now,
      lastUsedAt: now,
      idleExpiresAt: Math.min(now + this.#d.refreshIdleTtlMs, now + this.#d.refreshAbsoluteTtlMs),
      absoluteExpiresAt: now + this.#d.refreshAbsoluteTtlMs,
    };
    await this.#d.refreshTokens.createFamily(family, hashRefreshToken(refreshToken));
    return this.#pair(user, family.id, refreshToken);
  }

  /**
   * Spends `refreshToken` and returns a new pair. The new refresh token is stored before the new
   * access token exists, so a crash in between loses nothing usable.
   *
   * Presenting a rotated token again revokes the family (RFC 9700 §4.14.2), except within
   * `refreshReuseGraceMs` of its rotation while the successor is unused: then it gets that same
   * successor back (concurrent retries converge on one), so a retry after a lost answer (a store
   * stall answered 503 whose rotation landed later, a dropped connection) keeps the device signed
   * in. The successor comes back sealed for the presented token, so only its holder can open it.
   * The access token is a fresh one for the same family: in the lost-answer case none was ever
   * issued (it is minted after the store's rotation), and the family's expiry does not move.
   */
  async refresh(refreshToken: string): Promise<TokenPair> {
    if (!REFRESH_TOKEN.test(refreshToken)) throw invalidGrant();
    const next = newRefreshToken();
    const graceMs = this.#d.refreshReuseGraceMs;
    const result = await this.#d.refreshTokens.rotate(
      hashRefreshToken(refreshToken),
      hashRefreshToken(next),
      this.#d.clock(),
      this.#d.refreshIdleTtlMs,
      graceMs > 0 ? { sealedSuccessor: sealSuccessor(refreshToken, next), windowMs: graceMs } : undefined,
    );
    if (result.outcome === 'reused') {
      throw invalidGrant('this refresh token was already used: its whole family has been revoked');
    }
    if (result.outcome !== 'rotated' && result.outcome !== 'replayed') throw invalidGrant();
    const successor = result.outcome === 'replayed' ? openSuccessor(refreshToken, result.sealedSuccessor) : next;
    // Only a store whose data was altered hands back a seal this token does not open.
    if (successor === null) throw invalidGrant();
    const user = await this.#d.users.findById(result.family.userId);
    if (!user || user.disabled) {
      await this.#d.refreshTokens.revokeFamily(result.family.id, this.#d.clock(), 'disabled');
      throw invalidGrant();
    }
    return this.#pair(user, result.family.id, successor);
  }

  /** Revokes the family the token belongs to (live or rotated); an unknown token is not an error (RFC 7009 §2.2). */
  async logout(refreshToken: string): Promise<RefreshFamily | null> {
    if (!REFRESH_TOKEN.test(refreshToken)) return null;
    const family = await this.#d.refreshTokens.findFamilyByToken(hashRefreshToken(refreshToken));
    if (!family) return null;
    await this.#d.refreshTokens.revokeFamily(family.id, this.#d.clock(), 'logout');
    return family;
  }

  /** Revokes one family by id (the device list, or logout with only an access token). */
  async revokeFamily(userId: string, familyId: string, reason: 'logout' | 'device_revoked'): Promise<boolean> {
    const family = await this.#d.refreshTokens.getFamily(familyId);
    if (!family || family.userId !== userId) return false;
    await this.#d.refreshTokens.revokeFamily(family.id, this.#d.clock(), reason);
    return true;
  }

  /**
   * Logout with only an access token, expired or not: ends the family it was issued from once its
   * signature, issuer, audience and type verify (`AccessTokens.verifyAsIssued`). Resolves false
   * when there was nothing of it to end.
   */
  async logoutWithAccessToken(accessToken: string): Promise<boolean> {
    const claims = await this.#d.accessTokens.verifyAsIssued(accessToken);
    return this.revokeFamily(claims.sub, claims.sid, 'logout');
  }

  devices(userId: string): Promise<RefreshFamily[]> {
    return this.#d.refreshTokens.listFamilies(userId, this.#d.clock());
  }

  /** Whether the token names a key of this mode (header only): see `AccessTokens.namesRingKey`. */
  namesOwnKey(accessToken: string): boolean {
    return this.#d.accessTokens.namesRingKey(accessToken);
  }

  /**
   * Verifies an access token and that it is still wanted: its family not revoked (logout, reuse,
   * device revoked) and not issued before the user's "revoked before" time (logout-all, disable).
   * Both checks hit the store on every request, so revocation applies at once on every instance.
   */
  async authenticate(accessToken: string): Promise<{ user: User; claims: AccessClaims }> {
    const claims = await this.#d.accessTokens.verify(accessToken);
    // Family, revoked-before and account in one store read (one SQLite statement).
    const standing = await this.#d.credentialChecks.accessToken(claims.sid, claims.sub);
    if (!standing) throw invalidToken();
    const { family, revokedBefore, user } = standing;
    if (!family || family.revokedAt !== null || family.userId !== claims.sub) throw invalidToken();
    // Same-second tokens are covered by the family revocation that always accompanies this time.
    if (claims.iat < Math.floor(revokedBefore / 1000)) throw invalidToken();
    if (user.disabled) throw invalidToken();
    return { user, claims };
  }

  async #pair(user: User, familyId: string, refreshToken: string): Promise<TokenPair> {
    const { token } = await this.#d.accessTokens.issue({ sub: user.id, role: user.role, sid: familyId });
    return {
      token_type: 'Bearer',
      access_token: token,
      expires_in: this.#d.accessTokens.ttlSec,
      refresh_token: refreshToken,
    };
  }
}
