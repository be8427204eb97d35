import { html, page } from '../../web/html.ts';

const SCOPE_TEXT: Record<string, string> = {
  openid: 'Know who you are (your account id)',
  email: 'See your email address',
  offline_access: 'Stay signed in: keep access while you are away, until you sign out',
  api: 'Use the authlab API as you (read and write your notes)',
};

/** The provider's sign-in form: fields `email` and `password`, posted same-origin. */
export function loginPage(options: { uid: string; clientName: string; error?: string | undefined }): string {
  return page(
    { title: 'Sign in', frame: 'provider' },
    html`
<section class="card narrow">
  <h1>Sign in to authlab ID</h1>
  <p class="asking"><strong id="oidc-client">${options.clientName}</strong> asks you to sign in with your authlab account.
  It will not see your password: only this page does.</p>
  ${options.error ? html`<p class="error" role="alert" id="login-error">${options.error}</p>` : ''}
  <form method="post" action="/oidc/interaction/${options.uid}/login" class="stack">
    <label for="email">Email</label>
    <input id="email" name="email" type="email" autocomplete="username" required autofocus>
    <label for="password">Password</label>
    <input id="password" name="password" type="password" autocomplete="current-password" required>
    <button type="submit">Sign in</button>
  </form>
  <form method="post" action="/oidc/interaction/${options.uid}/abort">
    <button type="submit" class="secondary" id="cancel">Cancel</button>
  </form>
</section>`,
  );
}

/** Consent: nothing is granted to an app, native ones above all, without the person acting. */
export function consentPage(options: {
  uid: string;
  clientName: string;
  scopes: string[];
  resources: string[];
  native: boolean;
}): string {
  const scopes = options.scopes.length > 0 ? options.scopes : ['openid'];
  return page(
    { title: 'Allow access?', frame: 'provider' },
    html`
<section class="card narrow">
  <h1>Allow <span id="oidc-client">${options.clientName}</span>?</h1>
  ${options.native ? html`<p class="muted">This is an app on your computer. Allow it only if you just started signing in there.</p>` : ''}
  <p>It asks to:</p>
  <ul id="consent-scopes">
    ${scopes.map((scope) => html`<li data-scope="${scope}">${SCOPE_TEXT[scope] ?? scope}</li>`)}
  </ul>
  ${options.resources.length > 0 ? html`<p class="muted small">API: ${options.resources.map((r) => html`<code>${r}</code> `)}</p>` : ''}
  <div class="actions">
    <form method="post" action="/oidc/interaction/${options.uid}/confirm"><button type="submit" id="allow">Allow</button></form>
    <form method="post" action="/oidc/interaction/${options.uid}/abort"><button type="submit" class="secondary" id="deny">Deny</button></form>
  </div>
</section>`,
  );
}
