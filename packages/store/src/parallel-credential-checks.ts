import type { CredentialChecks, OidcRepository, RefreshTokenRepository, UserRepository } from './types.ts';

/**
 * `Store.credentialChecks` over a store's own repositories, their reads issued together: on Redis
 * (ioredis with auto-pipelining) they leave in one write and come back in one round trip.
 */
export function parallelCredentialChecks(repositories: {
  users: UserRepository;
  refreshTokens: RefreshTokenRepository;
  oidc: OidcRepository;
}): CredentialChecks {
  const { users, refreshTokens, oidc } = repositories;
  return {
    accessToken: async (familyId, userId) => {
      const [family, revokedBefore, user] = await Promise.all([
        refreshTokens.getFamily(familyId),
        refreshTokens.getRevokedBefore(userId),
        users.findById(userId),
      ]);
      if (!user) return null;
      return { user, family: family && { userId: family.userId, revokedAt: family.revokedAt }, revokedBefore };
    },
    oidcGrant: async (grantId, userId) => {
      const [grant, user] = await Promise.all([oidc.find('Grant', grantId), users.findById(userId)]);
      return grant && { grant, user };
    },
  };
}
