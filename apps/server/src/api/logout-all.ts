import type { AppDeps } from '../deps.ts';

/**
 * Ends everything a user holds: every server session now (JWT refresh families and OIDC grants
 * join here as those modes land). Used by logout-all in every mode, by disabling an account and
 * by a password change.
 */
export async function endEverything(deps: Pick<AppDeps, 'store'>, userId: string): Promise<void> {
  await deps.store.sessions.deleteByUser(userId);
}
