import { StoreConflictError, type User } from '@authlab/store';
import type Router from '@koa/router';
import type { Context } from 'koa';
import * as client from 'openid-client';
import type { AppDeps } from '../../deps.ts';
import { pendingFlowCookie, sameText } from '../../http/pending-flow.ts';
import { createRouter } from '../../http/router.ts';
import { WEB_CALLBACK_PATH } from '../oidc/clients.ts';
import { FederationError, upstreamErrorOf } from './federation-error.ts';
import { beginSession } from './session-middleware.ts';
import { discoveryOf, federationUpstream, type Upstream } from './upstream-client.ts';

/** What the browser must bring back to the callback, bound to it by a signed cookie. */
interface PendingSignIn {
  state: string;
  nonce: string;
  verifier: string;
  issuer: string;
  /** ms, on the injected clock. */
  expiresAt: number;
}

/** Ten minutes for the round trip through the provider's login and consent pages. */
const FLOW_TTL_MS = 10 * 60_000;
/** Sent only to /session/oidc/start and /session/oidc/callback, nowhere else. */
const FLOW_PATH = '/session/oidc';
/** `__Secure-` where Secure (`__Host-` would demand Path=/). */
const flowCookieName = (secure: boolean) => (secure ? '__Secure-authlab.oidc-flow' : 'authlab.oidc-flow');

const flowCookie = pendingFlowCookie<PendingSignIn>(['state', 'nonce', 'verifier', 'issuer']);

/** The verified email of the ID token, or of UserInfo when the ID token carries none. */
async function emailClaims(configuration: client.Configuration, access: string, claims: client.IDToken) {
  if (claims.email !== undefined || claims.email_verified !== undefined) {
    return { email: claims.email, verified: claims.email_verified };
  }
  try {
    const info = await client.fetchUserInfo(configuration, access, claims.sub);
    return { email: info.email, verified: info.email_verified };
  } catch (error) {
    throw new FederationError('oidc_failed', 'the UserInfo request failed', { cause: error });
  }
}

/**
 * The local account of a verified identity. Our own provider names accounts by user id; for any
 * other issuer a stored (issuer, subject) link decides, and the first sign-in links by an email
 * the provider has verified, to an account that already exists. Accounts are never created here:
 * an instructor adds them (`pnpm users add`), so an open provider cannot mint accounts.
 */
async function linkedAccount(
  deps: AppDeps,
  upstream: Upstream,
  configuration: client.Configuration,
  tokens: { access_token: string; claims(): client.IDToken | undefined },
): Promise<User> {
  const claims = tokens.claims();
  if (!claims) throw new FederationError('oidc_failed', 'no ID token');
  const noAccount = () => new FederationError('oidc_no_account', 'no account matches this identity');
  const { users, identities } = deps.store;
  const existing = async (id: string) => {
    const user = await users.findById(id);
    if (!user) throw noAccount();
    return user;
  };
  if (upstream.builtIn) return existing(claims.sub);

  const linkedId = await identities.find(claims.iss, claims.sub);
  if (linkedId) return existing(linkedId);

  const { email, verified } = await emailClaims(configuration, tokens.access_token, claims);
  // An unverified address is only a claim: linking by it would hand the account to whoever typed it.
  // Providers that never assert it (Entra ID) are linked by an operator instead: `pnpm users link`.
  if (verified !== true || typeof email !== 'string') {
    throw new FederationError('oidc_no_account', 'no link, and no verified email to link by', {
      detail: {
        issuer: claims.iss,
        subject: claims.sub,
        email_verified: String(verified),
        hint: `an operator can link it: pnpm users link <email> ${claims.iss} ${claims.sub}`,
      },
    });
  }
  const user = await users.findByEmail(email);
  if (!user) throw noAccount();
  if (user.disabled) return user; // refused by the caller, and not worth a link
  try {
    await identities.link(claims.iss, claims.sub, user.id);
  } catch (error) {
    if (!(error instanceof StoreConflictError)) throw error;
    throw new FederationError('oidc_link_conflict', 'the account is linked to another identity at this issuer');
  }
  return user;
}

/** Every refusal goes back to the login page with its code; anything else is a real error. */
async function refusalsToLogin(ctx: Context, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    if (!(error instanceof FederationError)) throw error;
    const cause = (error.cause as Error | undefined)?.message;
    ctx.state.log?.warn(
      { code: error.code, reason: error.message, cause, ...upstreamErrorOf(error.cause), ...error.detail },
      'federated sign-in refused',
    );
    ctx.set('Cache-Control', 'no-store');
    ctx.redirect(`/login?error=${error.code}`);
    ctx.status = 303;
  }
}

/**
 * Federated sign-in for the session mode: the server is a relying party (Authorization Code +
 * PKCE S256, with state and nonce) of the built-in provider or of `OIDC_UPSTREAM_ISSUER`, and
 * ends in an ordinary server session.
 *
 * Both routes are GET navigations, so the origin check (which guards state-changing methods) does
 * not apply. Login CSRF is stopped instead by binding the response to this browser: the callback
 * accepts only the `state` it finds in its own signed cookie, and the code only redeems with that
 * cookie's PKCE verifier, so a code or a callback URL from someone else's flow cannot sign this
 * browser in.
 *
 * @example
 * const federated = federatedRouter(deps);
 * app.use(federated.routes());
 * // <a href="/session/oidc/start">Sign in with OpenID Connect</a>
 */
export function federatedRouter(deps: AppDeps): Router {
  const { config, clock } = deps;
  const upstream = federationUpstream(deps);
  const discovered = discoveryOf(upstream);
  const redirectUri = `${config.publicUrl}${WEB_CALLBACK_PATH}`;
  const cookieName = flowCookieName(config.secureCookies);
  const cookieOptions = {
    path: FLOW_PATH,
    httpOnly: true,
    sameSite: 'lax' as const,
    secure: config.secureCookies,
    signed: true,
    overwrite: true,
  };
  const router = createRouter(FLOW_PATH);

  router.get('/start', async (ctx) => {
    await refusalsToLogin(ctx, async () => {
      const configuration = await discovered();
      const flow: PendingSignIn = {
        state: client.randomState(),
        nonce: client.randomNonce(),
        verifier: client.randomPKCECodeVerifier(),
        issuer: configuration.serverMetadata().issuer,
        expiresAt: clock() + FLOW_TTL_MS,
      };
      const authorizationUrl = client.buildAuthorizationUrl(configuration, {
        redirect_uri: redirectUri,
        scope: 'openid email',
        code_challenge: await client.calculatePKCECodeChallenge(flow.verifier),
        code_challenge_method: 'S256',
        state: flow.state,
        nonce: flow.nonce,
      });
      ctx.cookies.set(cookieName, flowCookie.encode(flow), { ...cookieOptions, maxAge: FLOW_TTL_MS });
      ctx.set('Cache-Control', 'no-store');
      ctx.redirect(authorizationUrl.href);
      ctx.status = 303;
    });
  });

  router.get('/callback', async (ctx) => {
    const flow = flowCookie.decode(ctx.cookies.get(cookieName, { signed: true }));
    await refusalsToLogin(ctx, async () => {
      if (!flow || clock() >= flow.expiresAt) {
        ctx.cookies.set(cookieName, null, cookieOptions);
        throw new FederationError('oidc_flow_expired', 'no pending sign-in in this browser, or it expired');
      }
      // A response that is not this flow's (any site can navigate here with `?state=x`) must not
      // end the flow, or a cross-site link would break every sign-in in progress: refused, kept.
      const state = ctx.query.state;
      if (typeof state !== 'string' || !sameText(state, flow.state)) {
        throw new FederationError('oidc_state_mismatch', 'the response does not belong to the sign-in started here');
      }
      // This flow's own response: single use from here, whatever the outcome (no replay).
      ctx.cookies.set(cookieName, null, cookieOptions);
      const configuration = await discovered();
      if (configuration.serverMetadata().issuer !== flow.issuer) {
        throw new FederationError('oidc_flow_expired', 'the sign-in was started with another provider');
      }
      // Built from PUBLIC_URL, never from the Host header: it is also the redirect_uri we redeem with.
      const currentUrl = new URL(`${WEB_CALLBACK_PATH}?${ctx.querystring}`, config.publicUrl);
      let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
      try {
        tokens = await client.authorizationCodeGrant(configuration, currentUrl, {
          expectedState: flow.state,
          expectedNonce: flow.nonce,
          pkceCodeVerifier: flow.verifier,
          idTokenExpected: true,
        });
      } catch (error) {
        const declined = error instanceof client.AuthorizationResponseError && error.error === 'access_denied';
        throw new FederationError(declined ? 'access_denied' : 'oidc_failed', 'the code was not redeemed', {
          cause: error,
        });
      }
      const user = await linkedAccount(deps, upstream, configuration, tokens);
      if (user.disabled) throw new FederationError('account_disabled', 'the account is disabled');
      await beginSession(ctx, deps, user);
      ctx.set('Cache-Control', 'no-store');
      // Our provider signed the person in before this flow began (auth_time, OIDC Core §2): it asked
      // no password. /me says so, since signing out here leaves the provider's session alive.
      const authTime = tokens.claims()?.auth_time;
      const knewAlready =
        upstream.builtIn &&
        typeof authTime === 'number' &&
        authTime < Math.floor((flow.expiresAt - FLOW_TTL_MS) / 1000);
      ctx.redirect(knewAlready ? '/me?provider_session=reused' : '/me');
      ctx.status = 303;
    });
  });

  return router;
}
