import type Router from '@koa/router';
import type { Context } from 'koa';
import type { AppDeps } from '../deps.ts';
import { createRouter } from '../http/router.ts';
import { sessionUser } from '../modes/session/session-middleware.ts';
import { sessionView } from '../views.ts';
import { html, page } from './html.ts';
import { jwtPlayground } from './jwt-page.ts';
import { describeUserAgent } from './user-agent.ts';

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

interface Mode {
  id: string;
  name: string;
  carrier: string;
  what: string;
  good: string;
  cost: string;
  /** Where to try it. */
  start: { href: string; label: string };
  /** Where `start` points instead for someone already signed in with a session. */
  signedIn?: { href: string; label: string };
  /** A second, quieter link. */
  more?: { href: string; label: string };
}

const MODES: Mode[] = [
  {
    id: 'session',
    name: 'Server sessions',
    carrier: 'HttpOnly cookie',
    what: 'An opaque, random id in an HttpOnly cookie; everything else stays on the server.',
    good: 'Browser apps on one site. Logout and revocation are instant: delete the record.',
    cost: 'A store lookup per request; cookies need CSRF defence (SameSite plus an origin check).',
    start: { href: '/login', label: 'Sign in with a session' },
    signedIn: { href: '/me', label: 'See your session' },
  },
  {
    id: 'jwt',
    name: 'JWT + rotating refresh tokens',
    carrier: 'Bearer token',
    what: 'A short-lived signed access token (EdDSA) and an opaque refresh token that rotates on every use.',
    good: 'APIs called by native apps, CLIs and other services; verification needs only a public key.',
    cost: 'Revocation needs a deny-list or short lifetimes; refresh-token reuse must revoke the family.',
    start: { href: '/jwt', label: 'Open the JWT playground' },
    more: { href: '/.well-known/jwks.json', label: 'Public keys (JWKS)' },
  },
  {
    id: 'oidc',
    name: 'OpenID Connect',
    carrier: 'Redirect + PKCE',
    what: 'Authorization Code + PKCE through an OpenID Provider; the app never sees the password.',
    good: 'Desktop and mobile apps signing in through the system browser; single sign-on; federation.',
    cost: 'More moving parts: redirects, discovery, consent, key rotation at the provider.',
    start: { href: '/oidc-flow', label: 'Walk through the flow' },
    more: { href: '/oidc/.well-known/openid-configuration', label: 'Discovery document' },
  },
];

/** Names the one address whose forms the origin check accepts (see http/refused-form.ts). */
const refusedFormMessage = (publicUrl: string) =>
  `That form was not sent from ${new URL(publicUrl).origin}, the only address this server accepts forms from, so it was refused and nothing changed. Use this page, at ${new URL(publicUrl).origin}, to sign in.`;

function modeLinks(mode: Mode, signedIn: boolean) {
  const start = signedIn && mode.signedIn ? mode.signedIn : mode.start;
  return html`<a class="button" href="${start.href}">${start.label}</a>${
    mode.more ? html` <a class="more" href="${mode.more.href}">${mode.more.label}</a>` : ''
  }`;
}

function noStore(ctx: Context) {
  ctx.set('Cache-Control', 'no-store');
  ctx.type = 'html';
}

/** "2026-05-14 09:30 UTC": the server knows no reader's time zone. */
const readableUtc = (ms: number | string) => `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;

/** A time in UTC; `me.js` rewrites it into the reader's own time zone. */
const timeTag = (ms: number | string) =>
  html`<time class="local" datetime="${new Date(ms).toISOString()}">${readableUtc(ms)}</time>`;

function duration(ms: number): string {
  const units: Array<[number, string]> = [
    [86_400_000, 'day'],
    [3_600_000, 'hour'],
    [60_000, 'minute'],
    [1000, 'second'],
  ];
  const [size, unit] = units.find(([size]) => ms >= size && ms % size === 0) ?? [1000, 'second'];
  const count = Math.round(ms / size);
  return `${count} ${unit}${count === 1 ? '' : 's'}`;
}

/** The server's own pages: home (the three modes side by side), session sign-in, and "me". */
export function pagesRouter(deps: AppDeps): Router {
  const router = createRouter();

  router.get('/', async (ctx) => {
    const found = await sessionUser(ctx, deps);
    noStore(ctx);
    ctx.body = page(
      { title: 'Three ways to sign in', signedInAs: found?.user.email, current: '/' },
      html`
<section class="intro" aria-labelledby="intro-heading">
  <h1 id="intro-heading">Three ways to sign people in</h1>
  <p>One server, one user store, one protected API — and three ways to prove who is calling it.
  Try each, break it in the labs, and compare.</p>
</section>
<section class="modes" aria-label="The three modes">
  ${MODES.map(
    (mode) => html`
  <article class="mode" id="mode-${mode.id}" aria-labelledby="mode-${mode.id}-name">
    <p class="carrier">${mode.carrier}</p>
    <h2 id="mode-${mode.id}-name">${mode.name}</h2>
    <p>${mode.what}</p>
    <dl>
      <dt>Good for</dt><dd>${mode.good}</dd>
      <dt>Costs</dt><dd>${mode.cost}</dd>
    </dl>
    <p class="links">${modeLinks(mode, found !== null)}</p>
  </article>`,
  )}
</section>`,
    );
  });

  router.get('/jwt', async (ctx) => {
    const found = await sessionUser(ctx, deps);
    noStore(ctx);
    ctx.body = page(
      { title: 'JWT playground', signedInAs: found?.user.email, current: '/jwt', scripts: ['/assets/jwt.js'] },
      jwtPlayground(),
    );
  });

  router.get('/login', async (ctx) => {
    const found = await sessionUser(ctx, deps);
    if (found) {
      ctx.redirect('/me');
      return;
    }
    const code = typeof ctx.query.error === 'string' ? ctx.query.error : '';
    const message =
      code === 'forbidden_origin'
        ? refusedFormMessage(deps.config.publicUrl)
        : (LOGIN_ERRORS[code] ?? (code ? 'Sign-in failed. Try again.' : ''));
    // 200 even with an error: the refusal was the POST's answer; this GET rendered a form fine.
    noStore(ctx);
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
  });

  router.get('/me', async (ctx) => {
    const found = await sessionUser(ctx, deps);
    if (!found) {
      ctx.redirect('/login');
      return;
    }
    const { user, session } = found;
    const { idleTtlMs, absoluteTtlMs } = deps.config.session;
    // Sent as a duration, not a time: the countdown then runs on the reader's clock, however far off.
    const expiresInMs = Math.min(session.createdAt + absoluteTtlMs, session.lastSeenAt + idleTtlMs) - deps.clock();
    const sessions = (await deps.store.sessions.listByUser(user.id))
      .map(({ record }) => sessionView(record, session.handle))
      // This browser first, then the most recently active.
      .sort((a, b) => Number(b.current) - Number(a.current) || b.lastSeenAt.localeCompare(a.lastSeenAt));
    noStore(ctx);
    ctx.body = page(
      { title: 'Your account', signedInAs: user.email, current: '/me', scripts: ['/assets/me.js'] },
      html`
${
  // Set by the federated callback when the provider's earlier session answered (auth_time).
  ctx.query.provider_session === 'reused'
    ? html`<p class="notice provider-knew" role="status" id="me-provider-knew">Signed in with OpenID Connect <strong>without a password</strong>:
  the provider still knew you from an earlier sign-in. Signing out here ends this session only;
  <a href="/oidc/session/end">sign out at the provider</a> too, to be asked for your password next time.</p>`
    : ''
}
<section class="card" aria-labelledby="me-heading">
  <h1 id="me-heading">Signed in as <span id="me-email">${user.email}</span></h1>
  <dl class="facts">
    <dt>Role</dt><dd id="me-role">${user.role}</dd>
    <dt>User id</dt><dd><code>${user.id}</code></dd>
    <dt>Session started</dt><dd>${timeTag(session.createdAt)}</dd>
    <dt>Session ends</dt><dd>after ${duration(idleTtlMs)} without activity, and at the latest ${timeTag(session.createdAt + absoluteTtlMs)}</dd>
    <dt>Time left</dt><dd><span id="me-time-left" class="time-left" role="timer" aria-atomic="true" data-expires-in-ms="${expiresInMs}">${duration(Math.max(1000, Math.round(expiresInMs / 1000) * 1000))}</span>
      <span class="muted small">if this browser stays idle; each request to the server restarts the idle clock</span></dd>
  </dl>
  <div class="actions">
    <form method="post" action="/session/logout"><button type="submit" id="sign-out">Sign out</button></form>
    <form method="post" action="/session/logout-all"><button type="submit" class="danger" id="sign-out-everywhere">Sign out everywhere</button></form>
  </div>
  <p class="muted small">“Sign out everywhere” ends every session of this account, on every device, at once.</p>
</section>
<section class="card" aria-labelledby="sessions-heading">
  <h2 id="sessions-heading">Active sessions</h2>
  <p class="muted">Each row is a record on the server. Signing one out deletes it: that device’s cookie stops working on its next request.</p>
  <div class="table-scroll" role="region" aria-label="Active sessions table" tabindex="0">
  <table id="sessions">
    <thead><tr><th scope="col">Device</th><th scope="col" class="wide-only">IP address</th><th scope="col" class="wide-only">Started</th><th scope="col">Last active</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
    <tbody>
    ${sessions.map((s) => {
      const device = describeUserAgent(s.userAgent);
      return html`<tr data-session-id="${s.id}"${s.current ? html` class="current"` : ''}>
      <td><span class="device" title="${s.userAgent}">${device}</span>${s.current ? html` <strong class="tag">this browser</strong>` : ''}
        <span class="narrow-only">${s.ip}, started ${timeTag(s.createdAt)}</span></td>
      <td class="wide-only">${s.ip}</td>
      <td class="wide-only">${timeTag(s.createdAt)}</td>
      <td>${timeTag(s.lastSeenAt)}</td>
      <td>${s.current ? '' : html`<button type="button" class="revoke" data-session-id="${s.id}">Sign out<span class="visually-hidden"> ${device}, started ${readableUtc(s.createdAt)}</span></button>`}</td>
    </tr>`;
    })}
    </tbody>
  </table>
  </div>
  <p id="sessions-status" class="visually-hidden" role="status"></p>
</section>`,
    );
  });

  return router;
}
