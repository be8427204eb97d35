import type { Context } from 'koa';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { html, page, SafeHtml } from '../../web/html.ts';

/**
 * The OpenID Provider's redirects after a form post go to client URIs (any loopback port for a
 * native app), which a `form-action 'self'` CSP would block in the browser. The pages that post
 * into such redirects drop that one directive; everything else of the CSP stays.
 */
export function allowFormRedirects(ctx: Context | KoaContextWithOIDC): void {
  const csp = ctx.response.get('Content-Security-Policy');
  if (csp) ctx.set('Content-Security-Policy', csp.replace(/form-action [^;]*;?/, ''));
}

const DESCRIPTIONS: Record<string, string> = {
  invalid_request: 'The application sent an incomplete or malformed sign-in request.',
  invalid_client: 'The application is not registered here.',
  invalid_redirect_uri: 'The application asked to return to an address it has not registered.',
  unauthorized_client: 'The application may not use this kind of sign-in.',
  unsupported_response_type: 'Only the authorization code flow is supported here.',
  unsupported_response_mode: 'The application asked for the answer in a way this server does not send it.',
  invalid_scope: 'The application asked for a permission that does not exist.',
  invalid_target: 'The application asked for access to an unknown API.',
  access_denied: 'The request was denied.',
  login_required: 'Sign in first.',
  consent_required: 'Your approval is needed.',
  interaction_required: 'Your action is needed.',
  invalid_session: 'This sign-in attempt has expired. Start again from the application.',
  session_not_found: 'This sign-in attempt has expired. Start again from the application.',
};

/** The provider's error page, in the site's look, offline, with no stack and no echo of raw input. */
export async function renderError(
  ctx: KoaContextWithOIDC,
  out: { error?: unknown; error_description?: unknown },
): Promise<void> {
  const code = typeof out.error === 'string' ? out.error : 'server_error';
  ctx.type = 'html';
  ctx.set('Cache-Control', 'no-store');
  ctx.body = page(
    { title: 'Sign-in problem', frame: 'provider' },
    html`
<section class="card narrow">
  <h1>Sign-in could not continue</h1>
  <p role="alert" class="error" id="oidc-error">${DESCRIPTIONS[code] ?? 'Something went wrong with this sign-in request.'}</p>
  <p class="muted small">Error code: <code id="oidc-error-code">${code}</code>${
    typeof out.error_description === 'string' ? html` — ${out.error_description}` : ''
  }</p>
  <p><a href="/">Back to authlab</a></p>
</section>`,
  );
}

/** RP-initiated logout asks the person before ending their session (OpenID RP-Initiated Logout §2). */
export async function logoutSource(ctx: KoaContextWithOIDC, form: string): Promise<void> {
  allowFormRedirects(ctx);
  ctx.type = 'html';
  ctx.set('Cache-Control', 'no-store');
  const client = ctx.oidc.client?.clientName ?? ctx.oidc.client?.clientId;
  ctx.body = page(
    { title: 'Sign out', frame: 'provider' },
    html`
<section class="card narrow">
  <h1>Sign out of authlab?</h1>
  <p>${client ? html`<strong>${client}</strong> asks to end your sign-in session here.` : 'An application asks to end your sign-in session here.'}</p>
  ${new SafeHtml(form)}
  <div class="actions">
    <button autofocus type="submit" form="op.logoutForm" value="yes" name="logout" id="logout-confirm">Yes, sign me out</button>
    <button type="submit" form="op.logoutForm" class="secondary" id="logout-cancel">No, stay signed in</button>
  </div>
</section>`,
  );
}

export async function postLogoutSuccessSource(ctx: KoaContextWithOIDC): Promise<void> {
  ctx.type = 'html';
  ctx.set('Cache-Control', 'no-store');
  ctx.body = page(
    { title: 'Signed out', frame: 'provider' },
    html`
<section class="card narrow">
  <h1 id="signed-out">You are signed out</h1>
  <p>Your sign-in session at the authlab provider has ended. You can close this tab.</p>
  <p><a href="/">Back to authlab</a></p>
</section>`,
  );
}
