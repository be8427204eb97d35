import * as client from 'openid-client';
import { isLoopbackUrl } from '../../config.ts';
import type { AppDeps } from '../../deps.ts';
import { oidcEndpoints, WEB_CLIENT_ID } from '../oidc/clients.ts';
import { FederationError } from './federation-error.ts';

/** How the server proves its client secret at the upstream's token endpoint. */
export type UpstreamClientAuth = 'client_secret_basic' | 'client_secret_post';

/** The OpenID Provider the session mode signs people in with. */
export interface Upstream {
  issuer: string;
  clientId: string;
  /** Absent for a public client (PKCE alone); most providers issue a secret to a web app. */
  clientSecret: string | undefined;
  /** `OIDC_UPSTREAM_CLIENT_AUTH`; absent, chosen from the provider's metadata. */
  clientAuth: UpstreamClientAuth | undefined;
  /** Our own provider at `/oidc`: its subject is our user id, so there is nothing to link. */
  builtIn: boolean;
}

/** `OIDC_UPSTREAM_*` when set, else the built-in provider with the server's own client `authlab-web`. */
export function federationUpstream(deps: AppDeps): Upstream {
  const ownIssuer = oidcEndpoints(deps.config.publicUrl).issuer;
  const upstream = deps.config.oidcUpstream ?? {
    issuer: ownIssuer,
    clientId: WEB_CLIENT_ID,
    clientSecret: deps.secrets.oidcWebClientSecret,
    clientAuth: undefined,
  };
  return { ...upstream, builtIn: upstream.issuer === ownIssuer };
}

/**
 * The client authentication to use with a provider that lists `supported` methods. The operator's
 * choice wins when the provider lists it (a provider can list both and accept only the one its
 * client registration names, as Auth0 does). Otherwise `client_secret_basic` where listed, and
 * where nothing is listed (RFC 8414 §2 makes it the default; RFC 6749 §2.3.1: every server MUST
 * support it), else `client_secret_post`. Throws `oidc_unavailable` when neither can work.
 */
export function chooseClientAuth(
  supported: readonly string[] | undefined,
  configured: UpstreamClientAuth | undefined,
): UpstreamClientAuth {
  const listed = (method: string) => supported === undefined || supported.includes(method);
  if (configured) {
    if (listed(configured)) return configured;
    throw new FederationError(
      'oidc_unavailable',
      `OIDC_UPSTREAM_CLIENT_AUTH is ${configured}, which the provider does not list (it lists ${supported?.join(', ')})`,
    );
  }
  if (listed('client_secret_basic')) return 'client_secret_basic';
  if (listed('client_secret_post')) return 'client_secret_post';
  throw new FederationError(
    'oidc_unavailable',
    `the provider supports neither client_secret_basic nor client_secret_post (it lists ${supported?.join(', ')})`,
  );
}

const clientAuthOf = (method: UpstreamClientAuth, secret: string): client.ClientAuth =>
  method === 'client_secret_post' ? client.ClientSecretPost(secret) : client.ClientSecretBasic(secret);

/**
 * Discovery once per process; a failure is not kept, so the next sign-in tries again. Plain http
 * only to a loopback issuer (a provider on this machine, the built-in one in development). The
 * client authentication is chosen from the discovered metadata (`chooseClientAuth`).
 */
export function discoveryOf(upstream: Upstream): () => Promise<client.Configuration> {
  let pending: Promise<client.Configuration> | undefined;
  const discover = async () => {
    const issuer = new URL(upstream.issuer);
    const insecure = issuer.protocol === 'http:';
    if (insecure && !isLoopbackUrl(issuer)) {
      throw new FederationError('oidc_insecure_issuer', `refusing plain http to a non-loopback issuer ${issuer.href}`);
    }
    let metadata: client.ServerMetadata;
    try {
      const discovered = await client.discovery(issuer, upstream.clientId, undefined, client.None(), {
        execute: insecure ? [client.allowInsecureRequests] : [],
        timeout: 10,
      });
      metadata = discovered.serverMetadata();
    } catch (error) {
      throw new FederationError('oidc_unavailable', `discovery of ${issuer.href} failed`, { cause: error });
    }
    const { clientSecret } = upstream;
    const auth = clientSecret
      ? clientAuthOf(
          chooseClientAuth(metadata.token_endpoint_auth_methods_supported, upstream.clientAuth),
          clientSecret,
        )
      : client.None();
    const configuration = new client.Configuration(metadata, upstream.clientId, clientSecret, auth);
    if (insecure) client.allowInsecureRequests(configuration);
    configuration.timeout = 10;
    return configuration;
  };
  return () => {
    pending ??= discover().catch((error: unknown) => {
      pending = undefined;
      throw error;
    });
    return pending;
  };
}
