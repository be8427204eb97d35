/** Row 2: whether a script injected into the mode's own page can read the credential. */
import type { Page } from 'playwright-core';
import { REFRESH_COOKIE, SESSION_COOKIE, type SignedInPage } from './browser-sign-in.ts';
import { HttpClient } from './http.ts';
import type { Cell, Fact } from './types.ts';

/**
 * In-page source, shared by both probes: `out` (what the script could read, `{ where, text }`) and
 * `walk(where, value, depth)`, which adds every string of 16 or more characters below `value`.
 */
const COLLECT = `const out = [];
  const seen = new Set();
  const walk = (where, value, depth) => {
    if (typeof value === 'string') { if (value.length >= 16) out.push({ where, text: value }); return; }
    if (value === null || typeof value !== 'object' || depth > 4 || seen.has(value) || out.length > 5000) return;
    if (value === window || (typeof Node !== 'undefined' && value instanceof Node)) return;
    seen.add(value);
    let keys = [];
    try { keys = Object.keys(value); } catch { return; }
    for (const key of keys.slice(0, 200)) {
      let child;
      try { child = value[key]; } catch { continue; }
      walk(where + '.' + key, child, depth + 1);
    }
  };`;

/**
 * What an injected script can read, as text: document.cookie, both storages, every global the page
 * added to window (compared with a fresh about:blank window), the DOM's text, markup and form
 * values. A string, so this project type-checks without the DOM library.
 */
const PROBE = `(() => {
  ${COLLECT}
  const push = (where, text) => { if (typeof text === 'string' && text.length > 0) out.push({ where, text }); };
  push('document.cookie', document.cookie || '(empty)');
  for (const [name, area] of [['localStorage', localStorage], ['sessionStorage', sessionStorage]]) {
    for (let i = 0; i < area.length; i++) {
      const key = area.key(i);
      push(name + '[' + JSON.stringify(key) + ']', key + '=' + area.getItem(key));
    }
  }
  let pristine = new Set();
  try {
    const frame = document.createElement('iframe');
    frame.style.display = 'none';
    document.documentElement.appendChild(frame);
    pristine = new Set(Object.getOwnPropertyNames(frame.contentWindow));
    frame.remove();
  } catch {}
  for (const name of Object.getOwnPropertyNames(window)) {
    if (pristine.has(name)) continue;
    let value;
    try { value = window[name]; } catch { continue; }
    if (typeof value !== 'function') walk('window.' + name, value, 0);
  }
  push('DOM text', document.documentElement.textContent || '');
  push('DOM markup', document.documentElement.outerHTML);
  for (const field of document.querySelectorAll('input, textarea')) {
    if (field.value) push('form field ' + (field.id || field.name || field.type), field.value);
  }
  return out;
})()`;

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
const RESERVED = new Set(['let', 'const', 'var', 'class', 'function', 'await', 'yield', 'async', 'static']);

/**
 * Top-level `let`/`const` in a classic script are globals every other script can name, though
 * not properties of window: an attacker reads the page's public scripts for their names.
 */
async function globalBindingsProbe(page: Page): Promise<Array<{ where: string; text: string }>> {
  const sources = (await page.evaluate(
    '[...document.scripts].filter((s) => s.src && s.type !== "module").map((s) => s.src)',
  )) as string[];
  const names = new Set<string>();
  for (const src of sources) {
    const answer = await fetch(src);
    const text = await answer.text();
    for (const match of text.matchAll(/^(?:let|const|var)\s+([A-Za-z_$][\w$]*)/gm)) {
      const name = match[1] ?? '';
      if (IDENTIFIER.test(name) && !RESERVED.has(name)) names.add(name);
    }
  }
  if (names.size === 0) return [];
  const reads = [...names].map((name) => `try { bindings[${JSON.stringify(name)}] = ${name}; } catch {}`).join('\n');
  return (await page.evaluate(`(() => {
    const bindings = {};
    ${reads}
    ${COLLECT}
    for (const [name, value] of Object.entries(bindings)) walk('script variable ' + name, value, 0);
    return out;
  })()`)) as Array<{ where: string; text: string }>;
}

const JWT_SHAPE = /eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/g;

/** The kind of place, for the matrix: `DOM text`, `script variable session`, `localStorage`, … */
function placeOf(where: string): string {
  if (where.startsWith('script variable ')) return `script variable \`${where.slice(16).split('.')[0]}\``;
  if (where.startsWith('window.')) return `window.${where.slice(7).split('.')[0]}`;
  if (where.startsWith('localStorage')) return 'localStorage';
  if (where.startsWith('sessionStorage')) return 'sessionStorage';
  if (where.startsWith('DOM')) return 'DOM';
  return where;
}

export interface ScriptReadOutcome {
  found: Array<{ where: string; what: string }>;
  checked: string[];
  /** What the script gets by asking the server, with the browser's ambient credentials. */
  apiWithAmbient: number;
  mintedAccessToken: boolean | null;
}

export async function probeScriptRead(signedIn: SignedInPage, base: string): Promise<ScriptReadOutcome> {
  const { page } = signedIn;
  const entries = [
    ...((await page.evaluate(PROBE)) as Array<{ where: string; text: string }>),
    ...(await globalBindingsProbe(page)),
  ];
  const found: Array<{ where: string; what: string }> = [];
  const add = (where: string, what: string) => {
    if (!found.some((f) => f.where === where && f.what === what)) found.push({ where, what });
  };
  for (const entry of entries) {
    for (const credential of signedIn.known) {
      if (credential.value.length >= 8 && entry.text.includes(credential.value)) add(entry.where, credential.what);
    }
  }
  // Any JWT the script can see that the API accepts is a stolen credential, known or not.
  const knownValues = new Set(signedIn.known.map((k) => k.value));
  const tried = new Map<string, string | null>();
  for (const entry of entries) {
    for (const [token] of entry.text.matchAll(JWT_SHAPE)) {
      if (knownValues.has(token)) continue;
      if (!tried.has(token)) {
        const answer = await new HttpClient(base).request('/api/me', { headers: { authorization: `Bearer ${token}` } });
        tried.set(token, answer.status === 200 ? `an access token the API accepts (mode ${answer.body?.mode})` : null);
      }
      const what = tried.get(token);
      if (what) add(entry.where, what);
    }
  }
  const apiWithAmbient = (await page.evaluate(
    "fetch('/api/me', { credentials: 'same-origin' }).then((r) => r.status)",
  )) as number;
  let mintedAccessToken: boolean | null = null;
  if (signedIn.mode === 'jwt' && signedIn.via === '/jwt') {
    // The refresh cookie is HttpOnly, but it rides along with any same-origin request to /jwt.
    const minted = (await page.evaluate(
      "fetch('/jwt/refresh', { method: 'POST' }).then(async (r) => ({ status: r.status, body: await r.json() }))",
    )) as { status: number; body: { access_token?: string } };
    mintedAccessToken = minted.status === 200 && typeof minted.body.access_token === 'string';
  }
  const checked = [...new Set(entries.map((e) => placeOf(e.where)))];
  return { found, checked, apiWithAmbient, mintedAccessToken };
}

export function scriptReadCell(
  signedIn: SignedInPage,
  outcome: ScriptReadOutcome,
  federated: { signedIn: SignedInPage; outcome: ScriptReadOutcome } | null,
): Cell {
  const readable = outcome.found.length > 0;
  const places = [...new Set(outcome.found.map((f) => placeOf(f.where)))];
  const whats = [...new Set(outcome.found.map((f) => f.what))];
  const hidden = signedIn.httpOnlyCookies.filter((name) => SESSION_COOKIE.test(name) || REFRESH_COOKIE.test(name));
  const refreshReadable = outcome.found.some((f) => f.what.startsWith('refresh token'));
  const notes: string[] = [];
  if (hidden.length > 0) notes.push(`HttpOnly, unreadable: ${hidden.join(', ')}.`);
  if (outcome.apiWithAmbient === 200) {
    notes.push('Unread, the cookie still rides along: the script can call the API as the user while the page is open.');
  }
  if (outcome.mintedAccessToken) {
    notes.push('POST /jwt/refresh from the script returned a fresh access token (the HttpOnly cookie went along).');
  }
  if (federated) {
    notes.push(
      `OIDC used by a web app instead (${federated.signedIn.via}): the browser ends up with ${federated.signedIn.httpOnlyCookies.join(', ') || 'no cookie'}; readable by script: ${federated.outcome.found.length > 0 ? 'yes' : 'no'}.`,
    );
  }
  const facts: Record<string, Fact> = {
    readable,
    where: [...new Set(outcome.found.map((f) => f.where))],
    places,
    credentialsFound: whats,
    httpOnlyCookies: signedIn.httpOnlyCookies,
    refreshTokenReadable: refreshReadable,
    knownFromOutside: signedIn.known.map((k) => k.what),
    locationsChecked: outcome.checked,
    apiWithAmbientCredentials: outcome.apiWithAmbient,
    scriptMintedAccessToken: outcome.mintedAccessToken,
  };
  if (federated) {
    facts.federatedReadable = federated.outcome.found.length > 0;
    facts.federatedHttpOnlyCookies = federated.signedIn.httpOnlyCookies;
  }
  return {
    value: readable,
    unit: 'yes/no',
    display: [
      readable ? `yes: ${places.join(', ')}` : `no${hidden.length > 0 ? ' (HttpOnly cookie)' : ''}`,
      `the script's own API call: ${outcome.apiWithAmbient}`,
      ...(federated
        ? [`as a web app's sign-in: ${federated.outcome.found.length > 0 ? 'yes' : 'no (HttpOnly cookie)'}`]
        : []),
    ].join('\n'),
    detail:
      `Signed in through ${signedIn.via}. ${readable ? `The script found ${whats.join(' and ')} in ${places.join(', ')}.` : 'The script found no credential.'} ` +
      notes.join(' '),
    source:
      `Chromium (playwright-core): sign in through ${signedIn.via}, then evaluate a script in the page that reads document.cookie, localStorage, ` +
      'sessionStorage, the globals the page added to window, the top-level variables its scripts declare, and the DOM (text, markup, form fields); ' +
      `the harness matches what it read against the credential taken from outside the page (cookie jar, network)${signedIn.mode === 'oidc' ? ' and tries every JWT it read at GET /api/me' : ''}. ` +
      "(Injection itself is modelled: the CSP, script-src 'self', would block an inline payload.)",
    facts,
  };
}
