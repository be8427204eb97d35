import type Router from '@koa/router';
import type { Context } from 'koa';
import * as client from 'openid-client';
import type { AppDeps } from '../../deps.ts';
import { pendingFlowCookie, sameText } from '../../http/pending-flow.ts';
import { createRouter } from '../../http/router.ts';
import {
  type CallbackView,
  type DecodedJwt,
  type RecordedRequest,
  type StartView,
  walkthroughCallbackPage,
  walkthroughStartPage,
  walkthroughUnavailablePage,
} from '../../web/oidc-flow-page.ts';
import { oidcEndpoints, PLAYGROUND_CALLBACK_PATH, PLAYGROUND_CLIENT_ID } from './clients.ts';

/** What the callback needs back. It stays on the server's side of the browser: a signed, HttpOnly cookie. */
interface PendingFlow {
  verifier: string;
  state: string;
  nonce: string;
  /** ms, on the injected clock. */
  expiresAt: number;
}

/** As long as the provider keeps an interaction open (its `Interaction` TTL). */
const FLOW_TTL_MS = 10 * 60_000;
/** The cookie goes to the walkthrough's two pages and nowhere else. */
const FLOW_PATH = '/oidc-flow';
/** `__Secure-` where Secure (`__Host-` would demand Path=/). */
const flowCookieName = (secure: boolean) => (secure ? '__Secure-authlab.oidc-walkthrough' : 'authlab.oidc-walkthrough');
/** No `offline_access`: the walkthrough's client may not hold refresh tokens. */
const SCOPE = 'openid email api';

const flowCookie = pendingFlowCookie<PendingFlow>(['verifier', 'state', 'nonce']);

/** A JWT's header and claims, read without verifying anything (openid-client has verified the ID token). */
function decodeJwtParts(token: string): DecodedJwt | null {
  const [header, claims, signature] = token.split('.');
  if (!header || !claims || signature === undefined) return null;
  try {
    const part = (text: string) =>
      JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Record<string, unknown>;
    return { header: part(header), claims: part(claims), encoded: token };
  } catch {
    return null;
  }
}

/**
 * Discovery once per process, of our own provider through `PUBLIC_URL`, the way any relying party
 * finds it; a failure is not kept, so the next page load tries again. Plain http is allowed because
 * the issuer is this server: configuration refuses an http `PUBLIC_URL` in production unless it
 * is loopback.
 */
function discoveryOf(issuer: URL): () => Promise<client.Configuration> {
  let pending: Promise<client.Configuration> | undefined;
  const options = { execute: issuer.protocol === 'http:' ? [client.allowInsecureRequests] : [], timeout: 10 };
  return () => {
    pending ??= client.discovery(issuer, PLAYGROUND_CLIENT_ID, undefined, client.None(), options).catch((error) => {
      pending = undefined;
      throw error;
    });
    return pending;
  };
}

/**
 * A configuration for one callback, whose every outgoing request (token, JWKS, API) is recorded so
 * the page can show the back channel as it happened.
 */
function recordingConfiguration(discovered: client.Configuration, requests: RecordedRequest[]): client.Configuration {
  const configuration = new client.Configuration(
    discovered.serverMetadata(),
    PLAYGROUND_CLIENT_ID,
    // The client pins the algorithm it was registered with (the provider's default, RS256).
    { id_token_signed_response_alg: 'RS256' },
    client.None(),
  );
  configuration.timeout = 10;
  if (discovered.serverMetadata().issuer.startsWith('http:')) client.allowInsecureRequests(configuration);
  // Verify the ID token's signature too, against the provider's JWKS. An answer straight from the
  // token endpoint over TLS would not need it (OpenID Connect Core §3.1.3.7); the walkthrough shows it.
  client.enableNonRepudiationChecks(configuration);
  configuration[client.customFetch] = async (url, options) => {
    const response = await fetch(url, options);
    requests.push({
      method: options.method,
      url,
      headers: Object.fromEntries(new Headers(options.headers)),
      body: options.body instanceof URLSearchParams || typeof options.body === 'string' ? String(options.body) : '',
      status: response.status,
      responseBody: await response.clone().text(),
    });
    return response;
  };
  return configuration;
}

/** What the provider's error codes mean to the person who just saw them happen. */
function failureOf(error: unknown): { code: string; description: string } {
  if (error instanceof client.ResponseBodyError || error instanceof client.AuthorizationResponseError) {
    return { code: error.error, description: error.error_description ?? error.message };
  }
  if (error instanceof client.ClientError) return { code: error.code ?? 'client_error', description: error.message };
  return { code: 'unavailable', description: error instanceof Error ? error.message : String(error) };
}

/**
 * `GET /oidc-flow` and its callback: the Authorization Code flow with PKCE, run by the registered
 * public client `authlab-playground` with openid-client against the built-in provider, one step
 * per page, every value on display.
 *
 * Both routes are GET navigations. The callback is bound to this browser by the signed cookie:
 * only the `state` found there is accepted, and the code only redeems with that cookie's PKCE
 * verifier, so someone else's callback URL gets nothing here.
 *
 * @example
 * const walkthrough = flowWalkthroughRouter(deps);
 * app.use(walkthrough.routes());
 * // <a href="/oidc-flow">Walk through the flow</a>
 */
export function flowWalkthroughRouter(deps: AppDeps): Router {
  const { config, clock } = deps;
  const endpoints = oidcEndpoints(config.publicUrl);
  const discovered = discoveryOf(new URL(endpoints.issuer));
  const redirectUri = `${config.publicUrl}${PLAYGROUND_CALLBACK_PATH}`;
  const cookieName = flowCookieName(config.secureCookies);
  const cookieOptions = {
    path: FLOW_PATH,
    httpOnly: true,
    // Lax: the provider's redirect back is a top-level GET navigation, which must carry it.
    sameSite: 'lax' as const,
    secure: config.secureCookies,
    signed: true,
    overwrite: true,
  };
  const router = createRouter();

  const signedInAs = async (ctx: Context) => ctx.state.signedIn?.user.email;
  const noStore = (ctx: Context) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.type = 'html';
  };
  const endFlow = (ctx: Context) => ctx.cookies.set(cookieName, '', { ...cookieOptions, expires: new Date(0) });

  router.get(FLOW_PATH, async (ctx) => {
    let configuration: client.Configuration;
    try {
      configuration = await discovered();
    } catch (error) {
      ctx.state.log?.warn({ err: error }, 'walkthrough discovery failed');
      noStore(ctx);
      ctx.status = 503;
      ctx.body = walkthroughUnavailablePage(endpoints.issuer, await signedInAs(ctx));
      return;
    }
    const flow: PendingFlow = {
      verifier: client.randomPKCECodeVerifier(),
      state: client.randomState(),
      nonce: client.randomNonce(),
      expiresAt: clock() + FLOW_TTL_MS,
    };
    const challenge = await client.calculatePKCECodeChallenge(flow.verifier);
    const authorizationUrl = client.buildAuthorizationUrl(configuration, {
      redirect_uri: redirectUri,
      scope: SCOPE,
      code_challenge: challenge,
      code_challenge_method: 'S256',
      state: flow.state,
      nonce: flow.nonce,
    });
    ctx.cookies.set(cookieName, flowCookie.encode(flow), { ...cookieOptions, maxAge: FLOW_TTL_MS });
    const view: StartView = {
      issuer: endpoints.issuer,
      clientId: PLAYGROUND_CLIENT_ID,
      redirectUri,
      verifier: flow.verifier,
      challenge,
      state: flow.state,
      nonce: flow.nonce,
      authorizationUrl: authorizationUrl.href,
      flowTtlMinutes: FLOW_TTL_MS / 60_000,
    };
    noStore(ctx);
    ctx.body = walkthroughStartPage(view, await signedInAs(ctx));
  });

  router.get(PLAYGROUND_CALLBACK_PATH, async (ctx) => {
    const param = (name: string) => (typeof ctx.query[name] === 'string' ? ctx.query[name] : undefined);
    const received = {
      code: param('code'),
      state: param('state'),
      iss: param('iss'),
      error: param('error'),
      errorDescription: param('error_description'),
    };
    const stored = flowCookie.decode(ctx.cookies.get(cookieName, { signed: true }));
    const flow = stored && stored.expiresAt > clock() ? stored : null;
    const stateCheck = !flow
      ? 'no-flow'
      : received.state && sameText(received.state, flow.state)
        ? 'match'
        : 'mismatch';
    const issCheck = received.iss === undefined ? 'missing' : received.iss === endpoints.issuer ? 'match' : 'mismatch';
    const view: CallbackView = {
      redirectUri,
      received,
      expected: { issuer: endpoints.issuer, state: flow?.state, nonce: flow?.nonce },
      stateCheck,
      issCheck,
      outcome: 'done',
      requests: [],
      now: clock(),
      ...(flow ? { flowStartedAt: flow.expiresAt - FLOW_TTL_MS } : {}),
    };
    const render = async (status: number) => {
      noStore(ctx);
      ctx.status = status;
      ctx.body = walkthroughCallbackPage(view, await signedInAs(ctx));
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
    endFlow(ctx); // one answer per flow, whatever it is
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
      configuration = recordingConfiguration(await discovered(), view.requests);
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
  });

  return router;
}
