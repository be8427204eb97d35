import type { Context } from 'koa';
import type { AppDeps } from '../../deps.ts';
import { noStoreHtml } from '../../http/no-store.ts';
import { html, page } from '../html.ts';

const LOGIN_ERRORS: Record<string, string> = {
  invalid_credentials: 'That email and password do not match. Check both and try again.',
  too_many_attempts: 'Too many failed attempts from here. Wait a few minutes, then try again.',
  password_too_long: 'That password is longer than 1024 bytes.',
  invalid_request: 'Enter your email and your password.',
  // Federated sign-in (modes/session/federated.ts).
  access_denied: 'Sign-in was cancelled at the identity provider. Nothing was changed.',
  oidc_flow_expired: 'That sign-in took too long or was started in another browser. Start again.',
  oidc_state_mismatch: 'That sign-in response was not for this browser, so it was refused. Start again.',
  account_disabled: 'This account is disabled. Ask your instructor to enable it.',
  oidc_no_account:
    'No authlab account matches that identity (linking needs a verified email). Accounts are not created automatically: ask your instructor to add yours.',
  oidc_link_conflict: 'This account is already linked to a different identity at that provider.',
  oidc_insecure_issuer: 'The identity provider is configured with plain http on a non-local host, which is refused.',
  oidc_unavailable: 'The identity provider could not be reached. Try again in a moment.',
  oidc_failed: 'Sign-in with OpenID Connect could not be completed. Start again.',
};

/** Names the one address whose forms the origin check accepts (see http/refused-form.ts). */
const refusedFormMessage = (publicUrl: string) =>
  `That form was not sent from ${new URL(publicUrl).origin}, the only address this server accepts forms from, so it was refused and nothing changed. Use this page, at ${new URL(publicUrl).origin}, to sign in.`;

/** `GET /login`: the session mode's sign-in form, with the error a refused post came back with. */
export function loginPage(deps: AppDeps) {
  return function loginPage(ctx: Context): void {
    if (ctx.state.signedIn) {
      ctx.redirect('/me');
      return;
    }
    const code = typeof ctx.query.error === 'string' ? ctx.query.error : '';
    const message =
      code === 'forbidden_origin'
        ? refusedFormMessage(deps.config.publicUrl)
        : (LOGIN_ERRORS[code] ?? (code ? 'Sign-in failed. Try again.' : ''));
    // 200 even with an error: the refusal was the POST's answer; this GET rendered a form fine.
    noStoreHtml(ctx);
    const invalid = message ? html` aria-invalid="true" aria-describedby="login-error"` : '';
    ctx.body = page(
      { title: 'Sign in', current: '/login', scripts: ['/assets/login.js'] },
      html`
<section class="card narrow" aria-labelledby="login-heading">
  <h1 id="login-heading">Sign in</h1>
  <p class="muted">Server-session mode: the server keeps your session; your browser keeps only an opaque cookie.</p>
  ${message ? html`<p class="error" role="alert" id="login-error">${message}</p>` : ''}
  <form method="post" action="/session/login" class="stack">
  <label for="email">Email</label>
  <input id="email" name="email" type="email" autocomplete="username" autocapitalize="none" spellcheck="false" required autofocus${invalid}>
  <label for="password">Password</label>
  <input id="password" name="password" type="password" autocomplete="current-password" required${invalid}>
  <button type="submit">Sign in</button>
  </form>
  <p><a class="button" id="sign-in-oidc" href="/session/oidc/start">Sign in with OpenID Connect</a></p>
  <p class="muted small">Demo accounts: <code>alice@example.com</code>, <code>bob@example.com</code>,
  <code>admin@example.com</code>; the server prints their password when it starts.</p>
</section>`,
    );
  };
}
