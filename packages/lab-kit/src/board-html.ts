/**
 * The page shell both boards share (this machine's, board.ts, and the class board's,
 * class/class-page.ts): readable on a phone (the table scrolls sideways, the first column stays),
 * no script at all (the page refreshes itself with a meta refresh), and headers that keep it so:
 * a CSP that allows only this one stylesheet (by hash) and forms posting to the board itself, no
 * framing, no sniffing, no caching, no referrer to other sites (OWASP ASVS 4.0.3 V14.4).
 */
import { createHash } from 'node:crypto';
import { escapeHtml } from '@authlab/html';

const STYLE = `
body { font: 15px/1.5 system-ui, sans-serif; margin: 1.5rem auto; max-width: 1100px; padding: 0 1rem; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; }
th, td { padding: .35rem .55rem; border-bottom: 1px solid #dde1e6; text-align: left; white-space: nowrap; }
th[scope=row] { position: sticky; left: 0; background: #fff; }
.solved { color: #1a7f37; font-weight: 600; } .started { color: #9a6700; } .tampered { color: #cf222e; font-weight: 600; }
small { color: #57606a; }
input, button { font: inherit; padding: .4rem .6rem; }
`;

export const BOARD_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'content-security-policy': `default-src 'none'; style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  // Not no-referrer: under it Chromium sends `Origin: null` with the page's own form post, which
  // the login's origin check (rightly) refuses. same-origin sends nothing to other sites.
  'referrer-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

export const JSON_HEADERS = {
  'content-type': 'application/json',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'cross-origin-resource-policy': 'same-origin',
};

/** A whole page: `body` must already be escaped HTML. */
export function boardShell(title: string, body: string, options: { refreshSeconds?: number } = {}): string {
  const refresh = options.refreshSeconds ? `<meta http-equiv="refresh" content="${options.refreshSeconds}">` : '';
  return `<!doctype html>
<html lang="en"><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
${refresh}<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
${body}
</html>
`;
}

/** A time as the board shows it: hours and minutes in the board machine's time zone (ISO in `title`). */
export function shownTime(iso: string | null): string {
  if (!iso) return '';
  const local = new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', hour12: false });
  return `<time datetime="${escapeHtml(iso)}" title="${escapeHtml(iso)}">${escapeHtml(local)}</time>`;
}
