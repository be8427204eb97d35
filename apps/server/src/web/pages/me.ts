import type { Context } from 'koa';
import type { AppDeps } from '../../deps.ts';
import { noStoreHtml } from '../../http/no-store.ts';
import { sessionView } from '../../views.ts';
import { html, page } from '../html.ts';
import { describeUserAgent } from '../user-agent.ts';
import { duration, readableUtc, timeTag } from './time.ts';

/** `GET /me`: the signed-in account and its sessions, each of which can be signed out. */
export function mePage(deps: AppDeps) {
  return async function mePage(ctx: Context): Promise<void> {
    const signedIn = ctx.state.signedIn;
    if (!signedIn) {
      ctx.redirect('/login');
      return;
    }
    const { user, session } = signedIn;
    const { idleTtlMs, absoluteTtlMs } = deps.config.session;
    // Sent as a duration, not a time: the countdown then runs on the reader's clock, however far off.
    const expiresInMs = Math.min(session.createdAt + absoluteTtlMs, session.lastSeenAt + idleTtlMs) - deps.clock();
    const sessions = (await deps.store.sessions.listByUser(user.id))
      .map(({ record }) => sessionView(record, session.handle))
      // This browser first, then the most recently active.
      .sort((a, b) => Number(b.current) - Number(a.current) || b.lastSeenAt.localeCompare(a.lastSeenAt));
    noStoreHtml(ctx);
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
  };
}
