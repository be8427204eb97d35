import { escapeHtml } from '@authlab/html';
import type { NativeAuthError } from '../types.ts';
import type { Settings } from './settings.ts';

/** Headers of every answer the listener gives the browser: nothing cached, referred or run. */
export const PAGE_HEADERS = {
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
};

/** The HTML of the page the browser ends on: the app's own `pages` where given, else ours. */
export function resultPageHtml(
  pages: Settings['pages'],
  outcome: { ok: true } | { ok: false; error: NativeAuthError },
): string {
  const { success, failure } = pages;
  return outcome.ok
    ? (success ?? successPage())
    : typeof failure === 'function'
      ? failure(outcome.error)
      : (failure ?? failurePage(outcome.error));
}

function page(title: string, outcome: 'success' | 'failure', body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<link rel="icon" href="data:,"><title>${escapeHtml(title)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#1f2328}
h1{font-size:1.5rem}.failure h1{color:#b42318}code{background:#f2f4f7;padding:0 .25rem;border-radius:3px}</style>
</head><body class="${outcome}"><main id="result" data-outcome="${outcome}">${body}</main></body></html>`;
}

function successPage(): string {
  return page(
    'Signed in',
    'success',
    '<h1>Signed in — you can close this tab</h1><p>Go back to the app: it has your sign-in.</p>',
  );
}

/** What went wrong, and what the person can do about it, by error code. */
const FAILURES: Record<string, [what: string, todo: string]> = {
  access_denied: [
    'You declined access, so the app was not signed in.',
    'If that was a mistake, start the sign-in again from the app and choose Allow.',
  ],
  state_mismatch: [
    'This answer does not belong to the sign-in the app is waiting for (an old tab, or another sign-in).',
    'Close this tab and start the sign-in again from the app.',
  ],
  iss_mismatch: [
    'The answer came from a different sign-in server than the one the app asked.',
    'Start the sign-in again from the app. If this keeps happening, tell whoever runs the app.',
  ],
  exchange_failed: [
    'The app could not complete the sign-in with the server.',
    'Start the sign-in again from the app. If it keeps failing, check the connection to the server.',
  ],
  timeout: ['The app stopped waiting: the sign-in took too long.', 'Start the sign-in again from the app.'],
  aborted: ['The sign-in was cancelled in the app.', 'Start the sign-in again from the app when you are ready.'],
  superseded: ['A newer sign-in was started, which replaced this one.', 'Use the tab of the newest sign-in.'],
};

function failurePage(error: NativeAuthError): string {
  const [what, todo] = FAILURES[error.code] ?? [
    'The sign-in server reported a problem.',
    'Start the sign-in again from the app. If it keeps failing, tell whoever runs the app.',
  ];
  return page(
    'Sign-in failed',
    'failure',
    `<h1>Sign-in failed</h1><p id="what">${escapeHtml(what)}</p><p id="todo">${escapeHtml(todo)}</p>` +
      `<p>Error: <code id="error-code">${escapeHtml(error.code)}</code></p>`,
  );
}
