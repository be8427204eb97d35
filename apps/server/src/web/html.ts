/** Escapes text for HTML content and attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value)
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

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
}

function navLink(href: string, label: string, current: string | undefined) {
  return html`<a href="${href}"${href === current ? html` aria-current="page"` : ''}>${label}</a>`;
}

/** The shared page frame: no external fonts or assets, so it works on an offline laptop. */
export function page(options: PageOptions, body: SafeHtml): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${options.title} · authlab</title>
<link rel="icon" href="/assets/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/assets/style.css">
${(options.scripts ?? []).map((src) => html`<script src="${src}" defer></script>`)}
</head>
<body>
<a class="skip-link" href="#main">Skip to content</a>
<header class="top">
  <a class="brand" href="/"><img src="/assets/favicon.svg" alt="" width="24" height="24"> authlab</a>
  <nav aria-label="Main">
    ${navLink('/', 'Modes', options.current)}
    ${navLink('/jwt', 'JWT', options.current)}
    ${navLink('/oidc-flow', 'OIDC flow', options.current)}
    ${options.signedInAs ? navLink('/me', options.signedInAs, options.current) : navLink('/login', 'Sign in', options.current)}
  </nav>
</header>
<main id="main" tabindex="-1">
${body}
</main>
<footer class="foot">authlab — server sessions, JWT and OpenID Connect side by side.</footer>
</body>
</html>`.html;
}
