import type Router from '@koa/router';
import type { Context } from 'koa';
import { bearerToken, insufficientScope, invalidToken, noCredentials } from '../../api/principal.ts';
import { createRouter } from '../../http/router.ts';
import type { OidcAccessTokens } from './bearer.ts';

/**
 * UserInfo (OpenID Connect Core §5.3) for the access tokens the provider issues. oidc-provider's
 * own endpoint refuses every token with an audience, and ours always have one (the API, RFC
 * 8707: `defaultResource`), so every relying party calling it with the token of its code exchange
 * got 401. This one takes those tokens: a live grant that includes `openid` (§5.3.1), and only the
 * claims of the OIDC scopes the person granted (`email` → `email`, `email_verified`, §5.4).
 */
export function userinfoRouter(tokens: OidcAccessTokens): Router {
  const router = createRouter('/oidc/me');

  async function userinfo(ctx: Context): Promise<void> {
    ctx.set('Cache-Control', 'no-store');
    const token = bearerToken(ctx);
    if (token === null) throw noCredentials('send the access token as a Bearer token');
    const access = await tokens(token);
    if (!access) throw invalidToken();
    const granted = (access.grant.payload.openid as { scope?: unknown } | undefined)?.scope;
    const scopes = new Set(typeof granted === 'string' ? granted.split(' ') : []);
    if (!scopes.has('openid')) throw insufficientScope('openid');
    const { user } = access;
    ctx.body = {
      sub: user.id,
      ...(scopes.has('email') ? { email: user.email, email_verified: true } : {}),
    };
  }

  // §5.3.1: GET and POST, the token in the Authorization header (RFC 6750 §2.1).
  router.get('/', userinfo);
  router.post('/', userinfo);
  return router;
}
