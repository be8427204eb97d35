import type { Context } from 'koa';
import * as client from 'openid-client';
import type { AppDeps } from '../../../deps.ts';
import { sameText } from '../../../http/pending-flow.ts';
import { WEB_CALLBACK_PATH } from '../../oidc/clients.ts';
import { type FederatedSignIn, FLOW_TTL_MS } from '../federated-flow.ts';
import { FederationError } from '../federation-error.ts';
import { linkedAccount } from '../linked-account.ts';
import { refusalsToLogin } from '../refusals-to-login.ts';
import { beginSession } from '../session-middleware.ts';

/**
 * `GET /session/oidc/callback`: the provider's answer to this browser's pending sign-in. Only
 * the `state` in the browser's own flow cookie is accepted, the code is redeemed with that
 * cookie's PKCE verifier and checked against its nonce, and the identity's local account gets an
 * ordinary server session (a new id: `beginSession`). Every refusal lands on /login with its code.
 */
export function finishFederatedSignIn(deps: AppDeps, federation: FederatedSignIn) {
  const { config, clock } = deps;
  return async function finishFederatedSignIn(ctx: Context): Promise<void> {
    const flow = federation.flowCookie.read(ctx);
    await refusalsToLogin(ctx, async () => {
      if (!flow || clock() >= flow.expiresAt) {
        federation.flowCookie.clear(ctx);
        throw new FederationError('oidc_flow_expired', 'no pending sign-in in this browser, or it expired');
      }
      // A response that is not this flow's (any site can navigate here with `?state=x`) must not
      // end the flow, or a cross-site link would break every sign-in in progress: refused, kept.
      const state = ctx.query.state;
      if (typeof state !== 'string' || !sameText(state, flow.state)) {
        throw new FederationError('oidc_state_mismatch', 'the response does not belong to the sign-in started here');
      }
      // This flow's own response: single use from here, whatever the outcome (no replay).
      federation.flowCookie.clear(ctx);
      const configuration = await federation.discovered();
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
      const user = await linkedAccount(deps, federation.upstream, configuration, tokens);
      if (user.disabled) throw new FederationError('account_disabled', 'the account is disabled');
      await beginSession(ctx, deps, user);
      ctx.set('Cache-Control', 'no-store');
      // Our provider signed the person in before this flow began (auth_time, OIDC Core §2): it asked
      // no password. /me says so, since signing out here leaves the provider's session alive.
      const authTime = tokens.claims()?.auth_time;
      const knewAlready =
        federation.upstream.builtIn &&
        typeof authTime === 'number' &&
        authTime < Math.floor((flow.expiresAt - FLOW_TTL_MS) / 1000);
      ctx.redirect(knewAlready ? '/me?provider_session=reused' : '/me');
      ctx.status = 303;
    });
  };
}
