import type { AccessClaims } from '@authlab/auth-core';
import type { User } from '@authlab/store';
import type { Principal } from './api/principal.ts';
import type { RequestLogger } from './http/request-log.ts';
import type { SessionData } from './modes/session/session-store.ts';

/**
 * What the server's middleware leaves on `ctx.state` and `ctx` for the middleware and handlers
 * after it: the one declaration of the request's state (Koa types `ctx.state` as `any` unless
 * told). Each member says who sets it. A member set by a guard in front of every handler that
 * reads it (`principal`, `jwt`) is not optional, the way Koa types `ctx.params`; one a handler
 * must check for (`signedIn`) is.
 */
declare module 'koa' {
  interface DefaultState {
    /** The request id, echoed as `X-Request-Id` (http/request-log.ts, on every request). */
    reqId: string;
    /** The request's logger; every line carries `reqId` (http/request-log.ts). */
    log: RequestLogger;
    /** Who calls the API, in which mode (api/principal.ts, on every `/api` request). */
    principal: Principal;
    /**
     * The Bearer token the origin check's exemption already verified, and whom it names
     * (api/principal.ts `acceptedBearerOnly`), so the API does not verify it a second time.
     */
    verifiedBearer?: { token: string; principal: Principal };
    /** The JWT mode's authenticated access token (modes/jwt/require-jwt.ts). */
    jwt: { user: User; claims: AccessClaims };
    /**
     * The account of the session being loaded, read in the same store call as the session
     * (modes/session/session-store.ts); `null` when the account no longer exists.
     */
    sessionAccount?: User | null;
    /** Set once koa-session has loaded this request's session (so it is loaded once). */
    sessionLoaded?: true;
    /** The signed-in session and its enabled account (modes/session/session-middleware.ts). */
    signedIn?: { user: User; session: SessionData };
    /** A store failure surfaced inside oidc-provider (modes/oidc/provider-host.ts). */
    storeUnavailable?: boolean;
  }

  interface DefaultContext {
    /**
     * koa-session's session, behind the session layer (modes/session/session-middleware.ts): the
     * fields of `SessionData` once signed in, an empty new session otherwise. Assign `null` to end
     * it (its record is deleted and the cookie cleared when the layer commits); assign the data of
     * a new session, then `regenerate()`, to sign in.
     */
    get session():
      | (Partial<SessionData> & {
          readonly isNew: boolean;
          regenerate(): Promise<void>;
          manuallyCommit(): Promise<void>;
        })
      | null;
    set session(value: SessionData | null);
  }
}
