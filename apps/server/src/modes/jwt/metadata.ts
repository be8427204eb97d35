import type Router from '@koa/router';
import { createRouter } from '../../http/router.ts';

/**
 * The JWT mode's RFC 8414 metadata at its issuer (`iss` = PUBLIC_URL, so
 * `/.well-known/oauth-authorization-server`, §3.1): a resource server configured with the issuer
 * alone finds `jwks_uri` there. The mode has no RFC 6749 endpoints (its sign-in is `/jwt/login`,
 * a first-party password endpoint), so it lists no response or grant types — only what is true.
 */
export function jwtMetadataRouter(publicUrl: string): Router {
  const router = createRouter();
  const metadata = Object.freeze({
    issuer: publicUrl,
    jwks_uri: `${publicUrl}/.well-known/jwks.json`,
    response_types_supported: [],
    grant_types_supported: [],
  });
  router.get('/.well-known/oauth-authorization-server', (ctx) => {
    ctx.set('Cache-Control', 'public, max-age=300');
    ctx.body = metadata;
  });
  return router;
}
