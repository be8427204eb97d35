import type { Context, Next } from 'koa';
import { HttpError } from './errors.ts';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * CSRF defence for every state-changing request, login included (login CSRF), after Go 1.25's
 * CrossOriginProtection: refuse a `Sec-Fetch-Site` other than same-origin/none, or an `Origin`
 * (`null` included) other than exactly ours. Same-*site* is not enough: another port on localhost
 * is same-site. A request with neither header is not from a browser and carries no ambient
 * credentials, so it passes.
 */
export function originCheck(publicOrigin: string) {
  return async function checkOrigin(ctx: Context, next: Next): Promise<void> {
    if (SAFE_METHODS.has(ctx.method)) return next();
    // A request authenticated by a Bearer header alone carries no ambient credential a foreign
    // page could borrow, so it needs no CSRF check; one with a cookie always gets it.
    const bearerOnly = ctx.get('Authorization') !== '' && ctx.get('Cookie') === '';
    if (!bearerOnly) {
      const site = ctx.get('Sec-Fetch-Site');
      const origin = ctx.get('Origin');
      const badSite = site !== '' && site !== 'same-origin' && site !== 'none';
      const badOrigin = origin !== '' && origin !== publicOrigin;
      if (badSite || badOrigin) {
        throw new HttpError(403, 'forbidden_origin', 'cross-origin requests may not change state here');
      }
    }
    await next();
  };
}
