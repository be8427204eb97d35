import type { Context } from 'koa';
import * as client from 'openid-client';
import type { AppDeps } from '../../../deps.ts';
import { noStoreHtml } from '../../../http/no-store.ts';
import { type StartView, walkthroughStartPage, walkthroughUnavailablePage } from '../../../web/oidc-flow-page.ts';
import { PLAYGROUND_CLIENT_ID } from '../clients.ts';
import { FLOW_TTL_MS, type PendingFlow, SCOPE, type Walkthrough } from '../walkthrough-flow.ts';

/**
 * `GET /oidc-flow`: step one of the walkthrough. A fresh PKCE verifier, state and nonce go into
 * this browser's signed flow cookie, and the page shows them with the authorization request
 * they make (RFC 7636 §4; OIDC Core §3.1.2.1). 503 with an explanation when discovery fails.
 */
export function startWalkthrough(deps: AppDeps, walkthrough: Walkthrough) {
  return async function startWalkthrough(ctx: Context): Promise<void> {
    const signedInAs = ctx.state.signedIn?.user.email;
    let configuration: client.Configuration;
    try {
      configuration = await walkthrough.discovered();
    } catch (error) {
      ctx.state.log?.warn({ err: error }, 'walkthrough discovery failed');
      noStoreHtml(ctx);
      ctx.status = 503;
      ctx.body = walkthroughUnavailablePage(walkthrough.issuer, signedInAs);
      return;
    }
    const flow: PendingFlow = {
      verifier: client.randomPKCECodeVerifier(),
      state: client.randomState(),
      nonce: client.randomNonce(),
      expiresAt: deps.clock() + FLOW_TTL_MS,
    };
    const challenge = await client.calculatePKCECodeChallenge(flow.verifier);
    const authorizationUrl = client.buildAuthorizationUrl(configuration, {
      redirect_uri: walkthrough.redirectUri,
      scope: SCOPE,
      code_challenge: challenge,
      code_challenge_method: 'S256',
      state: flow.state,
      nonce: flow.nonce,
    });
    walkthrough.flowCookie.write(ctx, flow);
    const view: StartView = {
      issuer: walkthrough.issuer,
      clientId: PLAYGROUND_CLIENT_ID,
      redirectUri: walkthrough.redirectUri,
      verifier: flow.verifier,
      challenge,
      state: flow.state,
      nonce: flow.nonce,
      authorizationUrl: authorizationUrl.href,
      flowTtlMinutes: FLOW_TTL_MS / 60_000,
    };
    noStoreHtml(ctx);
    ctx.body = walkthroughStartPage(view, signedInAs);
  };
}
