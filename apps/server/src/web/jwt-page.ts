import { html, type SafeHtml } from './html.ts';

/**
 * The body of `GET /jwt`, the JWT mode's playground. Static markup only: `assets/jwt.js` signs in,
 * holds the access token in memory and fills every value in with `textContent`.
 */
export function jwtPlayground(): SafeHtml {
  return html`
<section class="intro" aria-labelledby="jwt-heading">
  <h1 id="jwt-heading">JWT playground</h1>
  <p>Sign in for a short-lived access token signed with EdDSA, look inside it, call the API with it
  and watch it rotate. Anyone can check its signature with the
  <a href="/.well-known/jwks.json">public keys (JWKS)</a>.</p>
</section>
<aside class="note" aria-labelledby="jwt-storage-heading">
  <h2 id="jwt-storage-heading">Where the tokens live</h2>
  <p>This page keeps the access token only in a JavaScript variable, never in localStorage,
  sessionStorage or a cookie: a script injected through XSS can read storage, while memory dies with
  the tab — and the refresh token, in an HttpOnly cookie scoped to <code>Path=/jwt</code>, restores it
  silently through <code>POST /jwt/refresh</code> when the page loads.</p>
</aside>
<noscript><p class="error">This playground runs in JavaScript: turn it on to try the JWT mode.</p></noscript>
<div id="jwt-error" class="error" role="alert" aria-atomic="true"></div>
<p id="jwt-notice" class="notice" role="status"></p>

<section id="jwt-signin" class="card narrow" aria-labelledby="jwt-signin-heading" hidden>
  <h2 id="jwt-signin-heading" tabindex="-1">Sign in for a token</h2>
  <!-- method=post: should the script fail, the password still never lands in a URL. -->
  <form id="jwt-login-form" method="post" action="/jwt/login" class="stack">
    <label for="jwt-email">Email</label>
    <input id="jwt-email" name="email" type="email" autocomplete="username" autocapitalize="none" spellcheck="false" required>
    <label for="jwt-password">Password</label>
    <input id="jwt-password" name="password" type="password" autocomplete="current-password" required>
    <label for="jwt-device">Device name <span class="optional">(optional)</span></label>
    <input id="jwt-device" name="device_name" type="text" maxlength="100" autocomplete="off" placeholder="Workshop laptop" aria-describedby="jwt-device-hint">
    <p id="jwt-device-hint" class="hint">How this browser appears in your list of devices.</p>
    <button type="submit" id="jwt-sign-in">Sign in</button>
  </form>
  <p class="muted small">Demo accounts: <code>alice@example.com</code>, <code>bob@example.com</code>,
  <code>admin@example.com</code>; the server prints their password when it starts.</p>
</section>

<div id="jwt-signed-in" class="playground" hidden>
  <section class="card token-card" aria-labelledby="jwt-token-heading">
    <div class="card-head">
      <h2 id="jwt-token-heading" tabindex="-1">Your access token</h2>
      <span class="pill">in memory only</span>
    </div>
    <div class="countdown">
      <p class="countdown-line"><span class="countdown-label">Time left</span>
        <span id="jwt-time-left" class="time-left" role="timer" aria-atomic="true">—</span></p>
      <progress id="jwt-lifetime" max="1" value="1" aria-label="Share of the token's lifetime left"></progress>
      <p id="jwt-next-refresh" class="muted small"></p>
    </div>
    <dl class="facts">
      <dt>Subject <code>sub</code></dt><dd><code id="jwt-sub"></code></dd>
      <dt>Role</dt><dd id="jwt-role"></dd>
      <dt>Issued <code>iat</code></dt><dd id="jwt-iat"></dd>
      <dt>Expires <code>exp</code></dt><dd id="jwt-exp"></dd>
      <dt>Token id <code>jti</code></dt><dd><code id="jwt-jti"></code></dd>
      <dt>Signing key <code>kid</code></dt><dd><code id="jwt-kid"></code></dd>
    </dl>
    <div class="decoded">
      <figure>
        <figcaption id="jwt-header-caption">Header</figcaption>
        <pre id="jwt-header" class="json" tabindex="0" aria-labelledby="jwt-header-caption"></pre>
      </figure>
      <figure>
        <figcaption id="jwt-claims-caption">Claims</figcaption>
        <pre id="jwt-claims" class="json" tabindex="0" aria-labelledby="jwt-claims-caption"></pre>
      </figure>
    </div>
    <details class="encoded">
      <summary>The token as sent: <code>Authorization: Bearer …</code></summary>
      <p class="muted small">Three base64url parts joined by dots: <span class="part-header">header</span>.<span class="part-claims">claims</span>.<span class="part-signature">signature</span>.
      Decoding needs no key — a JWT is signed, not encrypted, so never put secrets in its claims.</p>
      <pre id="jwt-encoded" class="token-text" tabindex="0" aria-label="Encoded access token"><span class="part-header"></span>.<span class="part-claims"></span>.<span class="part-signature"></span></pre>
    </details>
  </section>

  <section class="card" aria-labelledby="jwt-try-heading">
    <h2 id="jwt-try-heading">Use it</h2>
    <div class="actions" role="group" aria-label="Token actions">
      <button type="button" id="jwt-call-me">Call /api/me</button>
      <button type="button" id="jwt-refresh" class="secondary">Refresh now</button>
      <button type="button" id="jwt-devices-button" class="secondary">My devices</button>
    </div>
    <div class="actions">
      <button type="button" id="jwt-sign-out" class="secondary">Sign out</button>
      <button type="button" id="jwt-sign-out-everywhere" class="danger">Sign out everywhere</button>
    </div>
    <p class="muted small">“Sign out” revokes this browser’s refresh-token family; “Sign out everywhere” revokes
    every family of the account and every access token already issued.</p>
  </section>

  <section id="jwt-devices" class="card devices-card" aria-labelledby="jwt-devices-heading" hidden>
    <h2 id="jwt-devices-heading" tabindex="-1">Your devices</h2>
    <p class="muted">One refresh-token family per sign-in. Each refresh rotates the token inside the family;
    replaying an old one revokes the whole family.</p>
    <div class="table-scroll" role="region" aria-labelledby="jwt-devices-heading" tabindex="0">
    <table id="jwt-devices-table">
      <thead><tr><th scope="col">Device</th><th scope="col" class="wide-only">IP address</th><th scope="col" class="wide-only">Signed in</th><th scope="col">Last refresh</th></tr></thead>
      <tbody></tbody>
    </table>
    </div>
  </section>
</div>

<!-- Outside the signed-in block: when the token is revoked elsewhere, the 401 that showed it and the
     log of what happened stay on screen next to the sign-in form. -->
<div id="jwt-activity" class="playground" hidden>
  <section id="jwt-response" class="card" aria-labelledby="jwt-response-heading" hidden>
    <h2 id="jwt-response-heading">Last response</h2>
    <div class="response">
      <p class="response-line"><code id="jwt-response-request"></code> <span id="jwt-response-status" class="status"></span>
        <span id="jwt-response-note" class="muted small"></span></p>
      <p id="jwt-rotation" class="rotation" hidden></p>
      <pre id="jwt-response-body" class="json" tabindex="0" aria-label="Response body"></pre>
    </div>
  </section>
  <section class="card log-card" aria-labelledby="jwt-log-heading">
    <h2 id="jwt-log-heading">What happened</h2>
    <ol id="jwt-log" class="log" role="log" aria-labelledby="jwt-log-heading"></ol>
  </section>
</div>`;
}
