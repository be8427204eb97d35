import Router from '@koa/router';

/**
 * Every router of the server: paths compared case-sensitively, as URLs define them (RFC 3986
 * §6.2.2.1). Not a matter of taste: @koa/router 15 matches routes case-insensitively by default
 * but `router.use()` middleware case-sensitively, so with the default a guard registered with
 * `router.use()` (the API's authentication) would be skipped for `GET /API/me` while its route
 * still ran. With both sensitive, a route runs only where its router's middleware ran.
 */
export function createRouter(prefix?: string): Router {
  return new Router(prefix === undefined ? { sensitive: true } : { prefix, sensitive: true });
}
