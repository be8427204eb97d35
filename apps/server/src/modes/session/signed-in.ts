import type { User } from '@authlab/store';
import type { Context } from 'koa';
import { HttpError } from '../../http/errors.ts';
import type { SessionData } from './session-store.ts';

/** The request's signed-in session and account (behind the session layer), or a 401. */
export function signedInOrThrow(ctx: Context): { user: User; session: SessionData } {
  const signedIn = ctx.state.signedIn;
  if (!signedIn) throw new HttpError(401, 'unauthenticated', 'sign in first');
  return signedIn;
}
