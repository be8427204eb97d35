import Router from '@koa/router';
import type { Context } from 'koa';
import type { AppDeps } from '../deps.ts';
import { sessionUser } from '../modes/session/session-middleware.ts';
import { sessionView } from '../views.ts';
import { html, page } from './html.ts';

const LOGIN_ERRORS: Record<string, string> = {
  invalid_credentials: 'That email and password do not match. Check both and try again.',
  too_many_attempts: 'Too many failed attempts from here. Wait a few minutes, then try again.',
  password_too_long: 'That password is longer than 1024 bytes.',
  invalid_request: 'Enter your email and your password.',
  forbidden_origin: 'This sign-in form was posted from another site and was refused.',
};

const MODES = [
  {
    id: 'session',
    name: 'Server sessions',
    what: 'An opaque, random id in an HttpOnly cookie; everything else stays on the server.',
    good: 'Browser apps on one site. Logout and revocation are instant: delete the record.',
    cost: 'A store lookup per request; cookies need CSRF defence (SameSite plus an origin check).',
    links: [{ href: '/login', label: 'Sign in with a session' }],
    soon: false,
  },
  {
    id: 'jwt',
    name: 'JWT + rotating refresh tokens',
    what: 'A short-lived signed access token (EdDSA) and an opaque refresh token that rotates on every use.',
    good: 'APIs called by native apps, CLIs and other services; verification needs only a public key.',
    cost: 'Revocation needs a deny-list or short lifetimes; refresh-token reuse must revoke the family.',
    links: [] as Array<{ href: string; label: string }>,
    soon: true,
  },
  {
    id: 'oidc',
    name: 'OpenID Connect',
    what: 'Authorization Code + PKCE through an OpenID Provider; the app never sees the password.',
    good: 'Desktop and mobile apps signing in through the system browser; single sign-on; federation.',
    cost: 'More moving parts: redirects, discovery, consent, key rotation at the provider.',
    links: [] as Array<{ href: string; label: string }>,
    soon: true,
  },
];

function noStore(ctx: Context) {
  ctx.set('Cache-Control', 'no-store');
  ctx.type = 'html';
}

/** The server's own pages: home (the three modes side by side), session sign-in, and "me". */
export function pagesRouter(deps: AppDeps): Router {
  const router = new Router();

  router.get('/', async (ctx) => {
    const found = await sessionUser(ctx, deps);
    noStore(ctx);
    ctx.body = page(
      { title: 'Three ways to sign in', signedInAs: found?.user.email },
      html`
<section class="intro">
  <h1>Three ways to sign people in</h1>
  <p>One server, one user store, one protected API — and three ways to prove who is calling it.
  Try each, break it in the labs, and compare.</p>
</section>
<section class="modes" aria-label="The three modes">
  ${MODES.map(
    (mode) => html`
  <article class="mode" id="mode-${mode.id}">
    <h2>${mode.name}</h2>
    <p>${mode.what}</p>
    <dl>
      <dt>Good for</dt><dd>${mode.good}</dd>
      <dt>Costs</dt><dd>${mode.cost}</dd>
    </dl>
    <p class="links">${mode.links.map((link) => html`<a href="${link.href}">${link.label}</a> `)}${mode.soon ? html`<span class="muted">Its routes arrive with the next milestone.</span>` : ''}</p>
  </article>`,
  )}
</section>`,
    );
  });

  router.get('/login', async (ctx) => {
    const found = await sessionUser(ctx, deps);
    if (found) {
      ctx.redirect('/me');
      return;
    }
    const code = typeof ctx.query.error === 'string' ? ctx.query.error : '';
    const message = LOGIN_ERRORS[code] ?? (code ? 'Sign-in failed. Try again.' : '');
    noStore(ctx);
    ctx.status = message ? 401 : 200;
    if (code === 'too_many_attempts') ctx.status = 429;
    ctx.body = page(
      { title: 'Sign in' },
      html`
<section class="card narrow">
  <h1>Sign in</h1>
  <p class="muted">Server-session mode: the server keeps your session; your browser keeps only an opaque cookie.</p>
  ${message ? html`<p class="error" role="alert" id="login-error">${message}</p>` : ''}
  <form method="post" action="/session/login" class="stack">
    <label for="email">Email</label>
    <input id="email" name="email" type="email" autocomplete="username" required autofocus>
    <label for="password">Password</label>
    <input id="password" name="password" type="password" autocomplete="current-password" required>
    <button type="submit">Sign in</button>
  </form>
  <p class="muted small">Demo accounts: alice@example.com, bob@example.com, admin@example.com.</p>
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
    const sessions = (await deps.store.sessions.listByUser(user.id)).map(({ record }) =>
      sessionView(record, session.handle),
    );
    noStore(ctx);
    ctx.body = page(
      { title: 'You', signedInAs: user.email, scripts: ['/assets/me.js'] },
      html`
<section class="card">
  <h1>Signed in as <span id="me-email">${user.email}</span></h1>
  <dl class="facts">
    <dt>Role</dt><dd id="me-role">${user.role}</dd>
    <dt>User id</dt><dd><code>${user.id}</code></dd>
    <dt>Session started</dt><dd><time datetime="${new Date(session.createdAt).toISOString()}">${new Date(session.createdAt).toISOString()}</time></dd>
  </dl>
  <div class="actions">
    <form method="post" action="/session/logout"><button type="submit" id="sign-out">Sign out</button></form>
    <form method="post" action="/session/logout-all"><button type="submit" class="danger" id="sign-out-everywhere">Sign out everywhere</button></form>
  </div>
</section>
<section class="card">
  <h2>Active sessions</h2>
  <table id="sessions">
    <thead><tr><th scope="col">Device</th><th scope="col">IP</th><th scope="col">Started</th><th scope="col">Last seen</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
    <tbody>
    ${sessions.map(
      (s) => html`<tr data-session-id="${s.id}">
      <td>${s.userAgent || 'unknown device'}${s.current ? html` <strong class="tag">this browser</strong>` : ''}</td>
      <td>${s.ip}</td>
      <td><time datetime="${s.createdAt}">${s.createdAt}</time></td>
      <td><time datetime="${s.lastSeenAt}">${s.lastSeenAt}</time></td>
      <td>${s.current ? '' : html`<button type="button" class="revoke" data-session-id="${s.id}">Sign out</button>`}</td>
    </tr>`,
    )}
    </tbody>
  </table>
</section>`,
    );
  });

  return router;
}
