import { CookieSigner } from '@authlab/auth-core';
import { bodyParser } from '@koa/bodyparser';
import type Router from '@koa/router';
import Koa from 'koa';
import { acceptedBearerOnly, type BearerVerifier } from './api/principal.ts';
import { apiRouter } from './api/router.ts';
import type { AppDeps } from './deps.ts';
import { normalizeClientIp } from './http/client-ip.ts';
import { errorResponses } from './http/errors.ts';
import { healthRouter } from './http/health.ts';
import { loadOnFirstUse } from './http/load-on-first-use.ts';
import { loopbackAlias } from './http/loopback-alias.ts';
import { originCheck } from './http/origin-check.ts';
import { pinPublicOrigin } from './http/public-origin.ts';
import { refusedFormToLogin } from './http/refused-form.ts';
import { requestLog } from './http/request-log.ts';
import { markSecureConnection } from './http/secure-connection.ts';
import { securityHeaders } from './http/security-headers.ts';
import { jwtBearerVerifier } from './modes/jwt/bearer-verifier.ts';
import { jwtMetadataRouter } from './modes/jwt/metadata.ts';
import { jwtRouter } from './modes/jwt/router.ts';
import { oidcAccessTokens, oidcBearerVerifier } from './modes/oidc/bearer.ts';
import { COMPARE_CLIENT_ID, COMPARE_PATH, oidcEndpoints } from './modes/oidc/clients.ts';
import { flowWalkthroughRouter } from './modes/oidc/flow-walkthrough.ts';
import { authorizationServerMetadataAlias } from './modes/oidc/metadata-alias.ts';
import { leaveBodiesToTheProvider } from './modes/oidc/provider-bodies.ts';
import { userinfoRouter } from './modes/oidc/userinfo.ts';
import { federatedRouter } from './modes/session/federated.ts';
import { sessionRouter } from './modes/session/router.ts';
import { sessionLayer } from './modes/session/session-middleware.ts';
import { recordTraffic } from './recording/record-traffic.ts';
import { TrafficRecordings } from './recording/recordings.ts';
import { assetsRouter } from './web/assets.ts';
import { compareRouter } from './web/compare-router.ts';
import { errorPages } from './web/error-pages.ts';
import { pagesRouter } from './web/pages/router.ts';
import { recordingRouter } from './web/recording/router.ts';

export type { AppDeps } from './deps.ts';

/** JSON and form bodies up to 64 KiB: enough for any request here, small enough to refuse floods early. */
const BODY_LIMIT = '64kb';

/**
 * `app.use(router.routes()); app.use(router.allowedMethods())`, and where every route of the
 * router lives under `prefix`, a request elsewhere skips both without matching it against each
 * route. Compared as the router compares (case-sensitive, see http/router.ts; the prefix alone
 * or followed by `/`), so the skip never changes which route answers. `before` runs in front of
 * the router, for the requests one of its routes answers (as `router.use()` middleware would).
 */
function mountRouter(app: Koa, router: Router, prefix?: string, before?: Koa.Middleware): void {
  let routes = router.routes() as Koa.Middleware;
  if (before) {
    const dispatch = routes;
    routes = (ctx, next) =>
      router.match(ctx.path, ctx.method).route ? before(ctx, () => dispatch(ctx, next)) : dispatch(ctx, next);
  }
  const allowedMethods = router.allowedMethods() as Koa.Middleware;
  if (prefix === undefined) {
    app.use(routes);
    app.use(allowedMethods);
    return;
  }
  const under = new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?:/|$)`);
  app.use((ctx, next) => (under.test(ctx.path) ? routes(ctx, () => allowedMethods(ctx, next)) : next()));
}

/**
 * The composition of the whole server: one middleware per concern, then the three modes and the
 * API as routers. Everything it needs comes in through `deps`; it reads no environment.
 *
 * @example
 * const app = createApp(deps);
 * app.listen(4000);
 */
export function createApp(deps: AppDeps, options: { bearerVerifiers?: BearerVerifier[] } = {}): Koa {
  const { config } = deps;
  const app = new Koa({ proxy: config.trustProxy > 0, maxIpsCount: config.trustProxy });
  app.silent = true; // errors are logged by our own middleware, once, with the request id
  // Cookie signatures (koa-session's, the pending-flow cookies'): Keygrip's output with the keys
  // imported once (Keygrip re-imports them on every signature).
  app.keys = new CookieSigner(deps.secrets.sessionKeys);
  const endpoints = oidcEndpoints(config.publicUrl);
  const oidcTokens = oidcAccessTokens(deps, deps.oidcKeyRing, endpoints);
  const verifiers = options.bearerVerifiers ?? [jwtBearerVerifier(deps), oidcBearerVerifier(oidcTokens)];

  app.use(normalizeClientIp);
  app.use(pinPublicOrigin(config.publicUrl));
  app.use(requestLog(deps.logger));
  // Off unless a browser asked for a recording (POST /compare/recording); outside the error
  // middleware, so a refusal is recorded with the status the client saw.
  const recordings = new TrafficRecordings(deps.clock);
  app.use(recordTraffic(recordings, config.secureCookies, deps.clock));
  app.use(errorPages(config.publicUrl));
  app.use(errorResponses);
  app.use(securityHeaders(config.https));
  app.use(markSecureConnection(config.secureCookies));
  app.use(loopbackAlias(config.publicUrl));
  app.use(refusedFormToLogin(config.publicUrl));
  app.use(originCheck(config.publicUrl, acceptedBearerOnly(verifiers)));
  // Health answers before the session layer: a stale cookie must not turn a probe into a session lookup.
  mountRouter(app, healthRouter(deps), '/healthz');
  app.use(leaveBodiesToTheProvider);
  app.use(
    bodyParser({
      enableTypes: ['json', 'form'],
      jsonLimit: BODY_LIMIT,
      formLimit: BODY_LIMIT,
      jsonStrict: true,
    }),
  );

  // The session is read only where a handler needs it (the pages, the session routes, the API
  // for a request without a Bearer token): an asset or a Bearer call never costs a store read.
  const withSession = sessionLayer(app, deps);

  // The API first: its requests are the hot path, and they are not matched against the
  // unprefixed page routers below (no route of theirs lies under /api).
  mountRouter(app, apiRouter(deps, verifiers, withSession), '/api');
  mountRouter(app, assetsRouter(), '/assets');
  mountRouter(app, pagesRouter(deps, withSession));
  mountRouter(app, recordingRouter(deps, recordings), '/compare');
  mountRouter(
    app,
    compareRouter(deps, { issuer: endpoints.issuer, clientId: COMPARE_CLIENT_ID, path: COMPARE_PATH }),
    COMPARE_PATH,
    withSession,
  );
  // The federated sign-in ends in a new session (its callback), so it runs behind the layer too.
  mountRouter(app, federatedRouter(deps), '/session/oidc', withSession);
  mountRouter(app, sessionRouter(deps, withSession), '/session');
  mountRouter(app, jwtRouter(deps));
  mountRouter(app, jwtMetadataRouter(config.publicUrl), '/.well-known/oauth-authorization-server');
  // The walkthrough's pages say who is signed in.
  mountRouter(app, flowWalkthroughRouter(deps), '/oidc-flow', withSession);
  mountRouter(app, userinfoRouter(oidcTokens), '/oidc/me');
  // RFC 8414's location for the issuer's metadata, handed to the provider as its discovery request.
  app.use(authorizationServerMetadataAlias());
  const openIdProvider = openIdProviderOnFirstUse(deps, endpoints);
  app.use((ctx, next) => (UNDER_OIDC.test(ctx.path) ? openIdProvider(ctx, next) : next()));
  return app;
}

const UNDER_OIDC = /^\/oidc(?:\/|$)/;

/**
 * The OpenID Provider under `/oidc`, with our own login and consent pages in front of it (they
 * take precedence under `/oidc/interaction`). oidc-provider is imported and built on the first
 * request under `/oidc`: a server nobody signs in to with OIDC never loads it.
 */
function openIdProviderOnFirstUse(deps: AppDeps, endpoints: ReturnType<typeof oidcEndpoints>): Koa.Middleware {
  const { config } = deps;
  return loadOnFirstUse(async () => {
    const [{ ProviderHost }, { interactionRouter }] = await Promise.all([
      import('./modes/oidc/provider-host.ts'),
      import('./modes/oidc/interactions.ts'),
    ]);
    const provider = new ProviderHost(
      deps.oidcKeyRing,
      {
        endpoints,
        store: deps.store,
        clock: deps.clock,
        cookieKeys: deps.secrets.sessionKeys,
        secureCookies: config.secureCookies,
        webClientSecret: deps.secrets.oidcWebClientSecret,
        accessTokenTtlSec: config.jwt.accessTokenTtlSec,
        refreshTokenTtlSec: Math.floor(config.jwt.refreshAbsoluteTtlMs / 1000),
      },
      { proxy: config.trustProxy > 0 },
    );
    const interactions = interactionRouter(deps, provider);
    const routes = interactions.routes() as Koa.Middleware;
    const allowedMethods = interactions.allowedMethods() as Koa.Middleware;
    const served = provider.middleware();
    return (ctx, next) =>
      ctx.path.startsWith('/oidc/interaction/') || ctx.path === '/oidc/interaction'
        ? routes(ctx, () => allowedMethods(ctx, () => served(ctx, next)))
        : served(ctx, next);
  });
}
