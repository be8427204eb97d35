import { escapeHtml } from '@authlab/html';

export { escapeHtml };
/** A template tag that escapes every interpolated value unless it is already `SafeHtml`. */
export class SafeHtml {
  readonly html: string;
  constructor(html: string) {
    this.html = html;
  }
  toString(): string {
    return this.html;
  }
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    const items = Array.isArray(value) ? value : [value];
    for (const item of items) {
      if (item === undefined || item === null || item === false) continue;
      out += item instanceof SafeHtml ? item.html : escapeHtml(item);
    }
    out += strings[i + 1] ?? '';
  });
  return new SafeHtml(out);
}

export interface PageOptions {
  title: string;
  signedInAs?: string | undefined;
  /** The path of this page, marked `aria-current` in the navigation. */
  current?: string;
  scripts?: string[];
  /** ES modules (the page's entry point; the modules it imports need no tag). */
  modules?: string[];
  /** Stylesheets after the shared one (each page family keeps its own small file). */
  styles?: string[];
  /**
   * `provider`: the OpenID Provider's own pages (sign-in, consent, sign-out, errors). They look
   * unlike the site's, with no site navigation, so a participant sees they have left the app for
   * the provider: the habit that makes a look-alike sign-in page stand out.
   */
  frame?: 'site' | 'provider';
}

function navLink(href: string, label: string, current: string | undefined) {
  return html`<a href="${href}"${href === current ? html` aria-current="page"` : ''}>${label}</a>`;
}

const providerHeader = html`<header class="top provider-top">
  <span class="brand provider-brand"><span class="provider-mark" aria-hidden="true">ID</span> authlab ID</span>
  <p class="provider-tag">Identity provider · you have left the application</p>
</header>`;

/** The shared page frame: no external fonts or assets, so it works on an offline laptop. */
export function page(options: PageOptions, body: SafeHtml): string {
  const provider = options.frame === 'provider';
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${options.title} · ${provider ? 'authlab ID' : 'authlab'}</title>
<link rel="icon" href="/assets/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/assets/style.css">
${[...(provider ? ['/assets/provider.css'] : []), ...(options.styles ?? [])].map(
  (href) => html`<link rel="stylesheet" href="${href}">
`,
)}${(options.scripts ?? []).map((src) => html`<script src="${src}" defer></script>`)}${(options.modules ?? []).map((src) => html`<script type="module" src="${src}"></script>`)}
</head>
<body${provider ? html` class="provider"` : ''}>
<a class="skip-link" href="#main">Skip to content</a>
${
  provider
    ? providerHeader
    : html`<header class="top">
  <a class="brand" href="/"><img src="/assets/favicon.svg" alt="" width="24" height="24"> authlab</a>
  <nav aria-label="Main">
    ${navLink('/', 'Modes', options.current)}
    ${navLink('/compare', 'Compare', options.current)}
    ${navLink('/jwt', 'JWT', options.current)}
    ${navLink('/oidc-flow', 'OIDC flow', options.current)}
    ${options.signedInAs ? navLink('/me', options.signedInAs, options.current) : navLink('/login', 'Sign in', options.current)}
  </nav>
</header>`
}
<main id="main" tabindex="-1">
${body}
</main>
<footer class="foot">${
    provider
      ? 'authlab ID, the identity provider: applications send you here to sign in, and never see your password.'
      : 'authlab — server sessions, JWT and OpenID Connect side by side.'
  }</footer>
</body>
</html>`.html;
}
