import { html, type SafeHtml } from './html.ts';

interface PanelSpec {
  mode: 'session' | 'jwt' | 'oidc';
  title: string;
  /** Where the credential lives, the lesson of the mode. */
  where: SafeHtml;
  /** Password form (session, JWT) or a button that leaves for the provider (OIDC). */
  signIn: 'password' | 'provider';
}

const PANELS: PanelSpec[] = [
  {
    mode: 'session',
    title: 'Server session',
    where: html`An opaque id in an <strong>HttpOnly cookie</strong>: this page’s script cannot read it. Everything
    else is on the server, shown below as the server holds it.`,
    signIn: 'password',
  },
  {
    mode: 'jwt',
    title: 'JWT + refresh token',
    where: html`The access token in <strong>this page’s memory</strong> only (gone on reload; the refresh token, in an
    HttpOnly cookie on <code>Path=/jwt</code>, brings a new one). Caveat: memory keeps a token from outliving the tab,
    not from a script already running in the page; the CSP is what keeps such a script out.`,
    signIn: 'password',
  },
  {
    mode: 'oidc',
    title: 'OpenID Connect',
    where: html`Signed in <strong>at the provider</strong>, never here: this page is a public client
    (<code>authlab-compare</code>, Authorization Code + PKCE S256, no secret). Its tokens stay in memory.`,
    signIn: 'provider',
  },
];

function signInPart(panel: PanelSpec): SafeHtml {
  const id = (name: string) => `${panel.mode}-${name}`;
  if (panel.signIn === 'provider') {
    return html`<div class="sign-in" data-role="sign-in">
    <p class="muted small">You go to the provider’s pages to sign in, then come back here with a code.</p>
    <button type="button" data-action="sign-in" id="${id('sign-in')}">Sign in at the provider</button>
  </div>`;
  }
  return html`<form class="stack sign-in" data-role="sign-in" novalidate>
    <label for="${id('email')}">Email</label>
    <input id="${id('email')}" name="email" type="email" autocomplete="username" autocapitalize="none" spellcheck="false" required>
    <label for="${id('password')}">Password</label>
    <input id="${id('password')}" name="password" type="password" autocomplete="current-password" required>
    <button type="submit" id="${id('sign-in')}">Sign in</button>
  </form>`;
}

function panelMarkup(panel: PanelSpec): SafeHtml {
  const id = (name: string) => `${panel.mode}-${name}`;
  return html`
<article class="card compare-panel" id="panel-${panel.mode}" data-mode="${panel.mode}" aria-labelledby="${id('title')}">
  <header class="panel-head">
    <h2 id="${id('title')}">${panel.title}</h2>
    <span class="pill" data-field="status">signed out</span>
  </header>
  <p class="where small">${panel.where}</p>
  <p class="who" data-field="who" aria-live="polite">Not signed in.</p>
  <p class="error" data-field="error" role="alert"></p>
  ${signInPart(panel)}
  <div class="signed-in" data-role="signed-in" hidden>
    <div class="countdown">
      <p class="countdown-line"><span class="countdown-label" data-field="expires-what">Time left</span>
        <span class="time-left" data-field="time-left" role="timer" aria-atomic="true">—</span></p>
      <progress data-field="time-bar" max="1" value="0" aria-label="Share of the credential’s lifetime left"></progress>
    </div>
    <dl class="facts">
      <dt>Refreshes</dt><dd data-field="refresh-count">0</dd>
      <dt>Last refresh</dt><dd data-field="last-refresh">never</dd>
    </dl>
    <div class="actions" role="group" aria-label="${panel.title} actions">
      <button type="button" data-action="call-api">Call API</button>
      <button type="button" class="secondary" data-action="refresh">Refresh now</button>
    </div>
    <div class="actions">
      <button type="button" class="secondary" data-action="sign-out">Sign out</button>
      <button type="button" class="danger" data-action="sign-out-everywhere">Sign out everywhere</button>
    </div>
  </div>
  <output class="api-result" data-field="api-result"></output>
  <details class="claims" data-role="claims" hidden open>
    <summary>Claims <span class="muted small" data-field="claims-source"></span></summary>
    <pre class="json" data-field="claims" tabindex="0"></pre>
  </details>
  <section class="sequence" aria-labelledby="${id('sequence-title')}">
    <h3 id="${id('sequence-title')}">What passed on the wire</h3>
    <div class="sequence-figure" data-field="sequence"><p class="muted small">Nothing recorded yet: sign in.</p></div>
    <details class="mermaid" data-role="mermaid" hidden>
      <summary>As Mermaid text, for slides</summary>
      <pre data-field="mermaid" tabindex="0"></pre>
      <button type="button" class="secondary" data-action="copy-mermaid">Copy</button>
    </details>
  </section>
</article>`;
}

/**
 * The body of `GET /compare`: the three modes side by side in any browser, as the desktop app
 * shows them. Static markup; `assets/compare*.js` signs in, counts down and fills values in with
 * `textContent`. The provider's endpoints come from its discovery document, read by the script.
 */
export function comparePage(options: {
  issuer: string;
  clientId: string;
  redirectUri: string;
  /** Whether this browser came with a live session: the script then reads it, else costs no doomed request. */
  sessionActive: boolean;
}): SafeHtml {
  return html`
<section class="intro" aria-labelledby="compare-heading">
  <h1 id="compare-heading">The three modes side by side</h1>
  <p>Sign in with each, watch each credential count down and refresh, call the same API, and sign out. Every
  message that passes is recorded for this page only and drawn under its panel.</p>
</section>
<noscript><p class="error">This dashboard runs in JavaScript: turn it on to compare the modes.</p></noscript>
<div id="compare" class="compare" data-issuer="${options.issuer}" data-client-id="${options.clientId}" data-redirect-uri="${options.redirectUri}" data-session-active="${String(options.sessionActive)}">
  ${PANELS.map(panelMarkup)}
</div>
<section class="card timeline-card" aria-labelledby="timeline-heading">
  <h2 id="timeline-heading">Timeline</h2>
  <ol id="timeline" class="log" role="log" aria-labelledby="timeline-heading"></ol>
</section>
<p class="muted small">Demo accounts: <code>alice@example.com</code>, <code>bob@example.com</code>,
<code>admin@example.com</code>; the server prints their password when it starts.</p>`;
}
