import type { Context } from 'koa';
import * as client from 'openid-client';
import type { AppDeps } from '../../../deps.ts';
import { noStoreHtml } from '../../../http/no-store.ts';
import { sameText } from '../../../http/pending-flow.ts';
import { type CallbackView, walkthroughCallbackPage } from '../../../web/oidc-flow-page.ts';
import { PLAYGROUND_CALLBACK_PATH } from '../clients.ts';
import { decodeJwtParts, failureOf, recordingConfiguration } from '../walkthrough-client.ts';
import { FLOW_TTL_MS, type Walkthrough } from '../walkthrough-flow.ts';

/**
 * `GET /oidc-flow/callback`: the provider's answer, checked step by step on display: this
 * browser's `state`, the issuer (RFC 9207), then the code redeemed with the flow's PKCE verifier
 * and nonce, every back-channel request recorded, and the access token tried at `/api/me`.
 */
export function finishWalkthrough(deps: AppDeps, walkthrough: Walkthrough) {
  const { config, clock } = deps;
  return async function finishWalkthrough(ctx: Context): Promise<void> {
    const param = (name: string) => (typeof ctx.query[name] === 'string' ? ctx.query[name] : undefined);
    const received = {
      code: param('code'),
      state: param('state'),
      iss: param('iss'),
      error: param('error'),
      errorDescription: param('error_description'),
    };
    const stored = walkthrough.flowCookie.read(ctx);
    const flow = stored && stored.expiresAt > clock() ? stored : null;
    const stateCheck = !flow
      ? 'no-flow'
      : received.state && sameText(received.state, flow.state)
        ? 'match'
        : 'mismatch';
    const { issuer } = walkthrough;
    const issCheck = received.iss === undefined ? 'missing' : received.iss === issuer ? 'match' : 'mismatch';
    const view: CallbackView = {
      redirectUri: walkthrough.redirectUri,
      received,
      expected: { issuer, state: flow?.state, nonce: flow?.nonce },
      stateCheck,
      issCheck,
      outcome: 'done',
      requests: [],
      now: clock(),
      ...(flow ? { flowStartedAt: flow.expiresAt - FLOW_TTL_MS } : {}),
    };
    const render = (status: number) => {
      noStoreHtml(ctx);
      ctx.status = status;
      ctx.body = walkthroughCallbackPage(view, ctx.state.signedIn?.user.email);
    };

    // A response this browser did not ask for (login CSRF, an injected code): refused before any
    // exchange, and the flow in progress is kept, so the real response can still arrive.
    if (stateCheck !== 'match' || !flow) {
      view.outcome = stateCheck === 'no-flow' ? 'no-flow' : 'state-mismatch';
      return render(400);
    }
    // RFC 9207: the provider names itself in the response; a response from another issuer
    // (a mix-up attack) must never have its code sent to ours.
    if (issCheck !== 'match') {
      view.outcome = 'issuer-mismatch';
      return render(400);
    }
    walkthrough.flowCookie.clear(ctx); // one answer per flow, whatever it is
    if (received.error) {
      view.outcome = 'provider-error';
      return render(200);
    }
    if (!received.code) {
      view.outcome = 'missing-code';
      return render(400);
    }

    let configuration: client.Configuration;
    let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
    try {
      configuration = recordingConfiguration(await walkthrough.discovered(), view.requests);
      tokens = await client.authorizationCodeGrant(
        configuration,
        new URL(`${PLAYGROUND_CALLBACK_PATH}?${ctx.querystring}`, config.publicUrl),
        {
          pkceCodeVerifier: flow.verifier,
          expectedState: flow.state,
          expectedNonce: flow.nonce,
          idTokenExpected: true,
        },
      );
    } catch (error) {
      view.outcome = 'exchange-failed';
      view.failure = failureOf(error);
      ctx.state.log?.warn({ code: view.failure.code }, 'walkthrough token exchange failed');
      return render(502);
    }
    const tokenEndpoint = configuration.serverMetadata().token_endpoint;
    const tokenResponse = view.requests.find((request) => request.url === tokenEndpoint)?.responseBody;
    view.tokens = {
      response: tokenResponse ? (JSON.parse(tokenResponse) as Record<string, unknown>) : {},
      idToken: tokens.id_token ? decodeJwtParts(tokens.id_token) : null,
      accessToken: decodeJwtParts(tokens.access_token),
    };
    try {
      const response = await client.fetchProtectedResource(
        configuration,
        tokens.access_token,
        new URL('/api/me', config.publicUrl),
        'GET',
      );
      const text = await response.text();
      view.api = { status: response.status, body: text ? (JSON.parse(text) as unknown) : null };
    } catch (error) {
      view.api = { status: 0, body: failureOf(error) };
    }
    return render(200);
  };
}
