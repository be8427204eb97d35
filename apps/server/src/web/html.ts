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
  scripts?: string[];
}

/** The shared page frame: no external fonts or assets, so it works on an offline laptop. */
export function page(options: PageOptions, body: SafeHtml): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${options.title} · authlab</title>
<link rel="stylesheet" href="/assets/style.css">
${(options.scripts ?? []).map((src) => html`<script src="${src}" defer></script>`)}
</head>
<body>
<header class="top">
  <a class="brand" href="/">authlab</a>
  <nav aria-label="Main">
    <a href="/">Modes</a>
    ${options.signedInAs ? html`<a href="/me">${options.signedInAs}</a>` : html`<a href="/login">Sign in</a>`}
  </nav>
</header>
<main id="main">
${body}
</main>
<footer class="foot">authlab — server sessions, JWT and OpenID Connect side by side.</footer>
</body>
</html>`.html;
}
