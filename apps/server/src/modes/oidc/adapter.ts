import { createHash } from 'node:crypto';
import { ACCOUNT_MODELS, type AccountModel, type Clock, type OidcRepository } from '@authlab/store';
import { errors } from 'oidc-provider';

/**
 * Models whose ids are bearer values, stored only as their SHA-256 like every other token here: the
 * tokens and codes, and the sign-in session, whose id is the value of the provider's session cookie
 * (a copy of the database must not sign anyone in, as for the session mode's ids).
 */
const HASHED_MODELS = new Set([
  'Session',
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'ClientCredentials',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
  'InitialAccessToken',
  'RegistrationAccessToken',
]);

const sha256 = (value: string) => createHash('sha256').update(value).digest('base64url');

const isAccountModel = (name: string): name is AccountModel => ACCOUNT_MODELS.includes(name as AccountModel);

/** What the provider must not keep forever when it gives no lifetime. */
const DEFAULT_TTL_SEC = 14 * 24 * 3600;

/**
 * oidc-provider's adapter over the project's store (SQLite or Redis), so provider state lives
 * beside everything else and survives restarts.
 *
 * `consume` is the guard against two concurrent redemptions of one authorization code or refresh
 * token: the provider checks `consumed` and then consumes, so between those steps a second
 * request could pass the check too. Here the store's atomic check-and-set decides; the loser gets
 * `invalid_grant` and the grant (with everything issued from it) is revoked (RFC 6749 §4.1.2,
 * RFC 9700 §4.14.2).
 */
export function storeAdapterFactory(oidc: OidcRepository, clock: Clock) {
  return class StoreAdapter {
    readonly name: string;

    constructor(name: string) {
      this.name = name;
    }

    #key(id: string): string {
      return HASHED_MODELS.has(this.name) ? sha256(id) : id;
    }

    /**
     * The payload as stored: oidc-provider repeats a record's id in it (`jti`), and an
     * interaction names its sign-in session's id (`session.cookie`); for the hashed models the id
     * is left out (`find` puts back the one it was asked for) and the session id is kept hashed.
     */
    #atRest(payload: Record<string, unknown>): Record<string, unknown> {
      if (HASHED_MODELS.has(this.name)) {
        const { jti: _id, ...rest } = payload;
        return rest;
      }
      const session = payload.session as Record<string, unknown> | undefined;
      if (this.name === 'Interaction' && typeof session?.cookie === 'string') {
        return { ...payload, session: { ...session, cookie: sha256(session.cookie) } };
      }
      return payload;
    }

    async upsert(id: string, payload: Record<string, unknown>, expiresIn?: number): Promise<void> {
      const grantId = this.name === 'Grant' ? id : (payload.grantId as string | undefined);
      await oidc.upsert(
        this.name,
        this.#key(id),
        {
          payload: this.#atRest(payload),
          expiresAt: clock() + (expiresIn ?? DEFAULT_TTL_SEC) * 1000,
          consumedAt: null,
        },
        {
          ...(grantId ? { grantId } : {}),
          ...(typeof payload.uid === 'string' ? { uid: payload.uid } : {}),
          ...(typeof payload.userCode === 'string' ? { userCode: payload.userCode } : {}),
          // Grants and sign-in sessions are found by account, so "end everything" reaches them.
          ...(isAccountModel(this.name) && typeof payload.accountId === 'string'
            ? { accountId: payload.accountId }
            : {}),
        },
      );
    }

    async find(id: string): Promise<Record<string, unknown> | undefined> {
      const record = await oidc.find(this.name, this.#key(id));
      if (!record) return undefined;
      const payload = HASHED_MODELS.has(this.name) ? { ...record.payload, jti: id } : record.payload;
      return record.consumedAt === null ? payload : { ...payload, consumed: Math.floor(record.consumedAt / 1000) };
    }

    async findByUid(uid: string): Promise<Record<string, unknown> | undefined> {
      return (await oidc.findByUid(this.name, uid))?.record.payload;
    }

    async findByUserCode(userCode: string): Promise<Record<string, unknown> | undefined> {
      return (await oidc.findByUserCode(this.name, userCode))?.record.payload;
    }

    async consume(id: string): Promise<void> {
      const result = await oidc.consume(this.name, this.#key(id), clock());
      if (result.outcome === 'consumed') return;
      if (result.outcome === 'already_consumed') {
        const grantId = result.record.payload.grantId;
        if (typeof grantId === 'string') await oidc.revokeByGrantId(grantId);
        throw new errors.InvalidGrant(`${this.name === 'RefreshToken' ? 'refresh token' : 'grant'} already used`);
      }
      throw new errors.InvalidGrant('grant not found or expired');
    }

    async destroy(id: string): Promise<void> {
      await oidc.destroy(this.name, this.#key(id));
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      await oidc.revokeByGrantId(grantId);
    }
  };
}
