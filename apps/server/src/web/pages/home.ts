import type { Context } from 'koa';
import { noStoreHtml } from '../../http/no-store.ts';
import { html, page } from '../html.ts';

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
    cost: "Instant revocation costs a store lookup per call (here: the token's family and the user's revoked-before time); refresh-token reuse must revoke the family.",
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

function modeLinks(mode: Mode, signedIn: boolean) {
  const start = signedIn && mode.signedIn ? mode.signedIn : mode.start;
  return html`<a class="button" href="${start.href}">${start.label}</a>${
    mode.more ? html` <a class="more" href="${mode.more.href}">${mode.more.label}</a>` : ''
  }`;
}

/** `GET /`: the three modes side by side, each with where to try it. */
export function home(ctx: Context): void {
  const signedIn = ctx.state.signedIn;
  noStoreHtml(ctx);
  ctx.body = page(
    { title: 'Three ways to sign in', signedInAs: signedIn?.user.email, current: '/' },
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
  <p class="links">${modeLinks(mode, signedIn !== undefined)}</p>
  </article>`,
  )}
</section>`,
  );
}
