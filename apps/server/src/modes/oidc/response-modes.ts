import type { Context, Next } from 'koa';
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { renderError } from './provider-pages.ts';

/**
 * How the provider answers an authorization request: in the redirect URI's query, the default for
 * `response_type=code` and the only mode our clients use (each reads its code from a GET to its
 * callback). A request that names any other `response_mode` is refused:
 *
 * - `form_post` (OAuth 2.0 Form Post Response Mode) answers with a page that auto-submits a form
 *   to the redirect URI. oidc-provider adds its inline script's hash to our CSP, but
 *   `form-action 'self'` still stops the post to another origin (a native client's loopback
 *   port), so the page just hangs; and no callback of ours takes a POST. Loosening the CSP for a
 *   mode nobody uses buys nothing, so form_post is off rather than made to work.
 * - `fragment` belongs to the implicit and hybrid flows, which are off (RFC 9700 §2.1.2).
 * - anything else (`web_message`, `jwt`, …) is not enabled in the provider anyway.
 */
export const RESPONSE_MODES: readonly string[] = ['query'];

/**
 * oidc-provider always registers form_post and fragment and lists them in discovery, with no
 * option to turn them off, hence two hooks (its documented pre- and post-middlewares):
 *
 * - Any request to the provider whose query names a `response_mode` other than `query` gets our
 *   error page (`unsupported_response_mode`, 400) before the provider reads the request. Any
 *   path, not only `/auth`: the provider's router also answers `/AUTH`, `/Auth` and `/auth/` (it
 *   folds case and a trailing slash), and no other endpoint takes the parameter, so refusing it
 *   everywhere leaves no spelling to find. Past that point the
 *   provider would deliver even its refusal in the mode asked for, by the very form that cannot
 *   work, so the refusal is shown where the person is (as for an unregistered redirect URI: no
 *   redirect to a URI not yet validated). PAR and request objects are off (configuration.ts), so
 *   authorization parameters reach the provider only through this query.
 * - Discovery's `response_modes_supported` lists only {@link RESPONSE_MODES}.
 */
export function restrictResponseModes(provider: Provider): void {
  provider.use(async (ctx: Context, next: Next) => {
    const asked = [ctx.query.response_mode ?? []].flat();
    if (asked.some((mode) => !RESPONSE_MODES.includes(mode))) {
      ctx.status = 400;
      await renderError(ctx as unknown as KoaContextWithOIDC, {
        error: 'unsupported_response_mode',
        error_description: 'only response_mode=query is supported (or leave response_mode out)',
      });
      return;
    }
    await next();
    const { oidc } = ctx as Partial<KoaContextWithOIDC>;
    if (oidc?.route === 'discovery' && ctx.body && typeof ctx.body === 'object') {
      (ctx.body as Record<string, unknown>).response_modes_supported = [...RESPONSE_MODES];
    }
  });
}
