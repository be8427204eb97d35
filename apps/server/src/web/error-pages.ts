import type { Context, Next } from 'koa';
import { wantsHtml } from '../http/wants-html.ts';
import { html, page, type SafeHtml } from './html.ts';

interface ErrorBody {
  error: string;
  error_description?: string;
}

const isErrorBody = (body: unknown): body is ErrorBody =>
  typeof body === 'object' && body !== null && typeof (body as { error?: unknown }).error === 'string';

interface ErrorPage {
  title: string;
  explain: (ctx: Context, body: ErrorBody, publicOrigin: string) => SafeHtml;
}

const home = html`<a class="button" href="/">Back to the start</a>`;

const PAGES: Record<number, ErrorPage> = {
  401: {
    title: 'Sign in first',
    explain:
      () => html`<p>This page is for signed-in people, and this browser is not signed in (or its sign-in has ended).</p>
<p class="actions"><a class="button" href="/login">Sign in</a> <a href="/">Back to the start</a></p>`,
  },
  403: {
    title: 'Refused',
    explain: (_ctx, body, publicOrigin) =>
      body.error === 'forbidden_origin'
        ? html`<p>This request came from a page that is not <a href="${publicOrigin}/">${publicOrigin}</a>, so it was refused and nothing changed. Forms here work only from the server's own address.</p>
<p class="actions"><a class="button" href="${publicOrigin}/">Go to ${publicOrigin}</a></p>`
        : html`<p>You are signed in, but this is not yours to see or change.</p><p class="actions">${home}</p>`,
  },
  404: {
    title: 'Page not found',
    explain: (ctx) => html`<p>There is no page at <code>${ctx.path}</code>.</p>
<p class="actions">${home} <a href="/login">Sign in</a></p>`,
  },
  405: {
    title: 'Not a way to open this address',
    explain: (ctx) => html`<p><code>${ctx.path}</code> does not take a <code>${ctx.method}</code> request${
      ctx.response.get('Allow') ? html` (it takes <code>${ctx.response.get('Allow')}</code>)` : ''
    }. Links and the address bar send GET; buttons on the site's own pages send the rest.</p>
<p class="actions">${home}</p>`,
  },
};

/** Paths whose errors stay JSON whatever the Accept header: the API, and the provider's own endpoints. */
const jsonOnly = (path: string) =>
  path.startsWith('/api/') || (path.startsWith('/oidc/') && !path.startsWith('/oidc/interaction/'));

/**
 * A browser that asked for a page and got a 401, 403, 404 or 405 sees a page saying what happened,
 * with a way back, instead of raw JSON; API clients (and `fetch`, which accepts `*∕*`) keep the JSON
 * `{error, error_description}` body. Status and headers (`WWW-Authenticate`, `Allow`) are unchanged.
 * Place it before `errorResponses`, which writes the JSON it may replace.
 */
export function errorPages(publicUrl: string) {
  const publicOrigin = new URL(publicUrl).origin;
  return async function showErrorPage(ctx: Context, next: Next): Promise<void> {
    await next();
    const view = PAGES[ctx.status];
    if (!view || !isErrorBody(ctx.body) || jsonOnly(ctx.path) || !wantsHtml(ctx)) return;
    const body = ctx.body;
    const status = ctx.status;
    ctx.type = 'html';
    ctx.body = page(
      { title: view.title },
      html`
<section class="card narrow error-page" aria-labelledby="error-heading">
  <p class="carrier">Error ${status}</p>
  <h1 id="error-heading">${view.title}</h1>
  ${view.explain(ctx, body, publicOrigin)}
  <p class="muted small">Code: <code id="error-code">${body.error}</code></p>
</section>`,
    );
    // Setting a body resets a status only when none was set; keep the error's status explicitly.
    ctx.status = status;
  };
}
