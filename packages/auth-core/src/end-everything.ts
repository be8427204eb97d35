import type { Clock, RevokeReason, Store } from '@authlab/store';

export type EndReason = Extract<RevokeReason, 'logout_all' | 'disabled'>;

/**
 * Ends everything a user holds, effective at once at the API in every mode and on every instance
 * sharing the store: every server session, every JWT refresh family and every access token
 * already issued, every OIDC grant (with the codes, refresh and access tokens issued from it),
 * and the OpenID Provider's own sign-in sessions, so the next authorization asks for the
 * password again instead of minting new tokens (ASVS V3.3.1, V3.3.3).
 *
 * The one owner of that rule: logout-all in every mode, a password change and disabling an
 * account all call it.
 *
 * @example
 * await endEverything(store, user.id, { clock: Date.now, reason: 'disabled' });
 */
export async function endEverything(
  store: Store,
  userId: string,
  options: { clock?: Clock; reason?: EndReason } = {},
): Promise<void> {
  const now = (options.clock ?? Date.now)();
  // The "revoked before" time first: no access token slips through between the writes.
  await store.refreshTokens.setRevokedBefore(userId, now);
  await store.refreshTokens.revokeAllFamilies(userId, now, options.reason ?? 'logout_all');
  await store.sessions.deleteByUser(userId);
  // The provider's sessions before its grants: a session left alive for a moment could otherwise
  // start an authorization that finds no grant and makes a new one.
  for (const sessionId of await store.oidc.idsOfAccount('Session', userId)) {
    await store.oidc.destroy('Session', sessionId);
  }
  for (const grantId of await store.oidc.idsOfAccount('Grant', userId)) {
    await store.oidc.revokeByGrantId(grantId);
  }
}
