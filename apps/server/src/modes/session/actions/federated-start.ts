import type { Context } from 'koa';
import * as client from 'openid-client';
import type { AppDeps } from '../../../deps.ts';
import { type FederatedSignIn, FLOW_TTL_MS, type PendingSignIn } from '../federated-flow.ts';
import { refusalsToLogin } from '../refusals-to-login.ts';

/**
 * `GET /session/oidc/start`: begins a federated sign-in. A fresh state, nonce and PKCE verifier
 * go into this browser's signed flow cookie, and the browser is sent to the provider's
 * authorization endpoint (Authorization Code + PKCE S256, RFC 7636; state and nonce, OIDC Core
 * §3.1.2.1).
 */
export function startFederatedSignIn(deps: AppDeps, federation: FederatedSignIn) {
  return async function startFederatedSignIn(ctx: Context): Promise<void> {
    await refusalsToLogin(ctx, async () => {
      const configuration = await federation.discovered();
      const flow: PendingSignIn = {
        state: client.randomState(),
        nonce: client.randomNonce(),
        verifier: client.randomPKCECodeVerifier(),
        issuer: configuration.serverMetadata().issuer,
        expiresAt: deps.clock() + FLOW_TTL_MS,
      };
      const authorizationUrl = client.buildAuthorizationUrl(configuration, {
        redirect_uri: federation.redirectUri,
        scope: 'openid email',
        code_challenge: await client.calculatePKCECodeChallenge(flow.verifier),
        code_challenge_method: 'S256',
        state: flow.state,
        nonce: flow.nonce,
      });
      federation.flowCookie.write(ctx, flow);
      ctx.set('Cache-Control', 'no-store');
      ctx.redirect(authorizationUrl.href);
      ctx.status = 303;
    });
  };
}
