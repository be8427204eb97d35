import type { Clock, Store } from '@authlab/store';

/**
 * Ends everything a user holds, effective at once at the API in every mode: every server
 * session, every JWT refresh family and every access token already issued, and every OIDC
 * grant (with the codes, refresh and access tokens issued from it). Used by logout-all in every mode, by disabling an account and by a
 * password change.
 */
export async function endEverything(
  deps: { store: Store; clock?: Clock },
  userId: string,
  reason: 'logout_all' | 'disabled' = 'logout_all',
): Promise<void> {
  const now = (deps.clock ?? Date.now)();
  // The "revoked before" time first: no access token slips through between the writes.
  await deps.store.refreshTokens.setRevokedBefore(userId, now);
  await deps.store.refreshTokens.revokeAllFamilies(userId, now, reason);
  await deps.store.sessions.deleteByUser(userId);
  for (const grantId of await deps.store.oidc.grantIdsOfAccount(userId)) {
    await deps.store.oidc.revokeByGrantId(grantId);
  }
}
