import { AuthError } from '@authlab/auth-core';
import type { BearerVerifier } from '../../api/principal.ts';
import type { AppDeps } from '../../deps.ts';

/** The API's view of this mode: a JWT of ours that is still wanted, or null so another mode may try. */
export function jwtBearerVerifier(deps: AppDeps): BearerVerifier {
  return async function verifyJwtBearer(token) {
    // Signed with a key of another ring (an OIDC access token): not ours, and no failed
    // verification (an error with a stack trace) to pay for on every such request.
    if (!deps.tokens.namesOwnKey(token)) return null;
    try {
      const { user, claims } = await deps.tokens.authenticate(token);
      return { user, mode: 'jwt', claims };
    } catch (error) {
      if (error instanceof AuthError) return null;
      throw error; // the store is down: 503, never a free pass
    }
  };
}
