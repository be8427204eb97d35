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
export function originCheck(publicOrigin: string, acceptedBearerOnly: (ctx: Context) => Promise<boolean>) {
  return async function checkOrigin(ctx: Context, next: Next): Promise<void> {
    if (SAFE_METHODS.has(ctx.method)) return next();
    const site = ctx.get('Sec-Fetch-Site');
    const origin = ctx.get('Origin');
    const badSite = site !== '' && site !== 'same-origin' && site !== 'none';
    const badOrigin = origin !== '' && origin !== publicOrigin;
    // A request authenticated by a Bearer token alone carries no ambient credential a foreign page
    // could borrow, so it needs no CSRF check. Only a token the server accepts counts: any other
    // Authorization (Basic, Negotiate: the browser attaches those by itself) does not exempt.
    if ((badSite || badOrigin) && !(await acceptedBearerOnly(ctx))) {
      throw new HttpError(403, 'forbidden_origin', 'cross-origin requests may not change state here');
    }
    await next();
  };
}
