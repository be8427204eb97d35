import type { Context, Next } from 'koa';

/** Where RFC 8414 §3.1 puts the metadata of the issuer `PUBLIC_URL/oidc`. */
export const AUTHORIZATION_SERVER_METADATA_PATH = '/.well-known/oauth-authorization-server/oidc';

/**
 * Serves the OpenID Provider's discovery document also at RFC 8414's location for its issuer:
 * an OAuth client or resource server (oauth4webapi with `algorithm: 'oauth2'`, for instance)
 * inserts the well-known segment before the issuer's path instead of appending it. The same
 * document, with the same `issuer` (§3.3), handed to the provider as its own discovery request.
 */
export function authorizationServerMetadataAlias() {
  return function metadataAlias(ctx: Context, next: Next): Promise<void> {
    if (ctx.path === AUTHORIZATION_SERVER_METADATA_PATH && (ctx.method === 'GET' || ctx.method === 'HEAD')) {
      ctx.path = '/oidc/.well-known/openid-configuration';
    }
    return next();
  };
}
