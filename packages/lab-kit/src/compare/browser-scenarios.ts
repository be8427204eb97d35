/**
 * The scenarios that need a real browser (the system Chromium through playwright-core): whether a
 * script injected into the mode's own page can read the credential, and whether a form on another
 * site can act with the victim's browser.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { freePort } from '@authlab/testkit';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { HttpClient, signIn } from './http.ts';
import type { Account, ScenarioContext } from './scenarios.ts';
import { type Cell, type Fact, failedCell, MODES, type Mode } from './types.ts';

/** A credential the harness knows from outside the page (the browser's cookie jar, the network). */
interface KnownCredential {
  what: string;
  value: string;
}

export interface SignedInPage {
  mode: Mode;
  context: BrowserContext;
  page: Page;
  /** The page the person signed in through. */
  via: string;
  known: KnownCredential[];
  /** Cookies of the server's origin that scripts cannot read. */
  httpOnlyCookies: string[];
}

const SESSION_COOKIE = /^(__Host-)?authlab\.sid(\.sig)?$/;
const REFRESH_COOKIE = /^(__Secure-)?authlab\.rt$/;

/** Every cookie of the server's host, whatever its path (the refresh cookie lives on /jwt only). */
async function cookiesOf(context: BrowserContext, base: string) {
  const host = new URL(base).hostname;
  return (await context.cookies()).filter((c) => c.domain.replace(/^\./, '') === host && c.name.includes('authlab'));
}

/** Signs in through the mode's own web page, as a person would. */
export async function signInThroughPage(
  browser: Browser,
  base: string,
  mode: Mode | 'federated',
  account: Account,
): Promise<SignedInPage> {
  const context = await browser.newContext();
  // Safety nets only, generous for a laptop busy with a workshop: nothing here is a time limit.
  context.setDefaultTimeout(120_000);
  context.setDefaultNavigationTimeout(120_000);
  const page = await context.newPage();
  const known: KnownCredential[] = [];
  let via = '';
  const providerLogin = async () => {
    await page.waitForURL(/\/oidc\/interaction\//);
    await page.getByLabel('Email').fill(account.email);
    await page.getByLabel('Password').fill(account.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#allow').waitFor();
    await page.locator('#allow').click();
  };
  if (mode === 'session') {
    via = '/login';
    await page.goto(`${base}/login`);
    await page.getByLabel('Email').fill(account.email);
    await page.getByLabel('Password').fill(account.password);
    const landed = page.waitForURL((url) => url.pathname === '/me');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await landed;
  } else if (mode === 'jwt') {
    via = '/jwt';
    await page.goto(`${base}/jwt`);
    await page.getByLabel('Email').fill(account.email);
    await page.getByLabel('Password').fill(account.password);
    const login = page.waitForResponse((r) => r.url() === `${base}/jwt/login` && r.request().method() === 'POST');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const body = (await (await login).json()) as { access_token?: string };
    if (!body.access_token) throw new Error('POST /jwt/login from the page returned no access token');
    known.push({ what: 'access token', value: body.access_token });
    await page.getByRole('heading', { name: 'Your access token' }).waitFor();
  } else if (mode === 'oidc') {
    // The provider's answer reaches this server's walkthrough client, which redeems the code on
    // the server side and shows what it got: the harness never sees the tokens from outside, so
    // every JWT the script finds is tried at the API instead.
    via = '/oidc-flow';
    await page.goto(`${base}/oidc-flow`);
    await page.getByRole('link', { name: 'Start: go to the provider' }).click();
    await providerLogin();
    await page.waitForURL((url) => url.pathname === '/oidc-flow/callback');
    const api = ((await page.locator('#flow-api-status').textContent()) ?? '').trim();
    if (api !== '200') throw new Error(`the walkthrough's own call to /api/me answered ${api || 'nothing'}`);
  } else {
    via = '/login → Sign in with OpenID Connect';
    await page.goto(`${base}/login`);
    await page.getByRole('link', { name: 'Sign in with OpenID Connect' }).click();
    await providerLogin();
    await page.waitForURL((url) => url.pathname === '/me');
  }
  const cookies = await cookiesOf(context, base);
  for (const cookie of cookies) {
    if (SESSION_COOKIE.test(cookie.name)) known.push({ what: `session cookie ${cookie.name}`, value: cookie.value });
    if (REFRESH_COOKIE.test(cookie.name))
      known.push({ what: `refresh token (cookie ${cookie.name})`, value: cookie.value });
  }
  return {
    mode: mode === 'federated' ? 'oidc' : mode,
    context,
    page,
    via,
    known,
    httpOnlyCookies: cookies.filter((c) => c.httpOnly).map((c) => c.name),
  };
}

// ---------------------------------------------------------------------------------------------
// 2. Whether an injected script can read the credential

/**
 * What an injected script can read, as text: document.cookie, both storages, every global the page
 * added to window (compared with a fresh about:blank window), the DOM's text, markup and form
 * values. A string, so this project type-checks without the DOM library.
 */
const PROBE = `(() => {
  const out = [];
  const seen = new Set();
  const push = (where, text) => { if (typeof text === 'string' && text.length > 0) out.push({ where, text }); };
  const walk = (where, value, depth) => {
    if (typeof value === 'string') { if (value.length >= 16) push(where, value); return; }
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
  };
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
    const out = [];
    const seen = new Set();
    const walk = (where, value, depth) => {
      if (typeof value === 'string') { if (value.length >= 16) out.push({ where, text: value }); return; }
      if (value === null || typeof value !== 'object' || depth > 4 || seen.has(value) || out.length > 5000) return;
      if (value === window || (typeof Node !== 'undefined' && value instanceof Node)) return;
      seen.add(value);
      for (const key of Object.keys(value).slice(0, 200)) {
        let child;
        try { child = value[key]; } catch { continue; }
        walk(where + '.' + key, child, depth + 1);
      }
    };
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

interface ScriptReadOutcome {
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

function scriptReadCell(
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

// ---------------------------------------------------------------------------------------------
// 3. Whether a cross-site form can act

const escapeAttribute = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

/** The attacker's site: a page that auto-submits a form to the target as soon as it loads. */
async function startAttacker(): Promise<{ port: number; server: Server }> {
  const port = await freePort();
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://attacker');
    const target = url.searchParams.get('target') ?? '';
    const text = url.searchParams.get('text') ?? '';
    res.setHeader('content-type', 'text/html; charset=utf-8');
    res.end(`<!doctype html><title>You won a prize</title>
<form id="f" method="post" action="${escapeAttribute(target)}"><input name="text" value="${escapeAttribute(text)}"></form>
<script>document.getElementById('f').submit()</script>`);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { port, server };
}

interface FormAttempt {
  origin: string;
  status: number;
  error: string;
  changed: boolean;
  cookieSent: boolean;
  authorizationSent: boolean;
  secFetchSite: string;
}

async function notesWith(auditor: HttpClient, marker: string): Promise<number> {
  const answer = await auditor.request('/api/notes');
  if (answer.status !== 200) throw new Error(`the auditor's GET /api/notes answered ${answer.status}`);
  return ((answer.body?.notes ?? []) as Array<{ text: string }>).filter((note) => note.text === marker).length;
}

async function submitFrom(page: Page, attackerOrigin: string, base: string, auditor: HttpClient): Promise<FormAttempt> {
  const marker = `cross-site form ${randomBytes(6).toString('hex')}`;
  const target = `${base}/api/notes`;
  const posted = page.waitForResponse((r) => r.url() === target && r.request().method() === 'POST');
  await page.goto(`${attackerOrigin}/?${new URLSearchParams({ target, text: marker })}`);
  const response = await posted;
  const headers = await response.request().allHeaders();
  const body = await response.text().catch(() => '');
  let error = '';
  try {
    error = String((JSON.parse(body) as { error?: string }).error ?? '');
  } catch {}
  return {
    origin: attackerOrigin,
    status: response.status(),
    error,
    changed: (await notesWith(auditor, marker)) > 0,
    cookieSent: /authlab\.(sid|rt)=/.test(headers.cookie ?? ''),
    authorizationSent: headers.authorization !== undefined,
    secFetchSite: headers['sec-fetch-site'] ?? '',
  };
}

export async function crossSiteFormCell(
  signedIn: SignedInPage,
  base: string,
  account: Account,
  attackerPort: number,
): Promise<Cell> {
  const { page } = signedIn;
  // Out of band: the same account over HTTP, to see whether the server's state changed.
  const auditorCredential = await signIn(base, 'session', account.email, account.password);
  const auditor = new HttpClient(base);
  for (const pair of auditorCredential.raw.split('; ')) {
    const at = pair.indexOf('=');
    auditor.cookies.set(pair.slice(0, at), pair.slice(at + 1));
  }
  // Control: the same POST from the server's own origin in the victim's browser, with whatever the
  // browser attaches by itself (a bearer token is never attached by the browser).
  const controlMarker = `same-origin control ${randomBytes(6).toString('hex')}`;
  const control = (await page.evaluate(
    `fetch('/api/notes', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: ${JSON.stringify(controlMarker)} }) }).then((r) => r.status)`,
  )) as number;
  const controlChanged = (await notesWith(auditor, controlMarker)) > 0;

  const crossSite = await submitFrom(page, `http://localhost:${attackerPort}`, base, auditor);
  const sameSite = await submitFrom(page, `http://127.0.0.1:${attackerPort}`, base, auditor);
  const refusal = (attempt: FormAttempt) => `${attempt.status}${attempt.error ? ` ${attempt.error}` : ''}`;
  const carried = (attempt: FormAttempt) =>
    attempt.cookieSent ? 'cookie sent' : attempt.authorizationSent ? 'Authorization sent' : 'no credential sent';
  return {
    value: crossSite.changed,
    unit: 'yes/no',
    display: crossSite.changed
      ? `yes: ${refusal(crossSite)}, a note was created`
      : `no: ${refusal(crossSite)}\n${carried(crossSite)}`,
    detail:
      `From http://localhost:${attackerPort} (another site): the browser's POST /api/notes got ${refusal(crossSite)}, ${carried(crossSite)} ` +
      `(Sec-Fetch-Site ${crossSite.secFetchSite}), state ${crossSite.changed ? 'CHANGED' : 'unchanged'}. ` +
      `From http://127.0.0.1:${attackerPort} (same site, another origin): ${refusal(sameSite)}, ${carried(sameSite)}, state ${sameSite.changed ? 'CHANGED' : 'unchanged'}. ` +
      `Control, the same POST from the page's own origin: ${control}${controlChanged ? ' (a note was created: the browser holds an ambient credential)' : ' (the browser attaches no credential by itself)'}.`,
    source:
      `Chromium (playwright-core): the victim signed in through ${signedIn.via}; an attacker page served by the harness on another origin auto-submits ` +
      "<form method=post action=/api/notes> with a unique text; the harness then lists the account's notes over HTTP with its own sign-in, looking for that text. " +
      'Headers are those Chromium reports it sent.',
    facts: {
      canAct: crossSite.changed,
      crossSiteOrigin: crossSite.origin,
      crossSiteStatus: crossSite.status,
      crossSiteError: crossSite.error,
      crossSiteChanged: crossSite.changed,
      crossSiteCookieSent: crossSite.cookieSent,
      crossSiteAuthorizationSent: crossSite.authorizationSent,
      crossSiteSecFetchSite: crossSite.secFetchSite,
      sameSiteOrigin: sameSite.origin,
      sameSiteStatus: sameSite.status,
      sameSiteError: sameSite.error,
      sameSiteChanged: sameSite.changed,
      sameSiteCookieSent: sameSite.cookieSent,
      sameSiteAuthorizationSent: sameSite.authorizationSent,
      sameOriginControlStatus: control,
      sameOriginControlChanged: controlChanged,
    },
  };
}

// ---------------------------------------------------------------------------------------------

export interface BrowserRows {
  scriptRead: Record<Mode, Cell>;
  crossSiteForm: Record<Mode, Cell>;
}

/** Rows 2 and 3, one signed-in browser context per mode (plus OIDC as a web app's sign-in). */
export async function browserRows(ctx: ScenarioContext, browser: Browser): Promise<BrowserRows> {
  const base = ctx.main.url;
  const account = ctx.accounts[1] ?? (ctx.accounts[0] as Account);
  const scriptRead = {} as Record<Mode, Cell>;
  const crossSiteForm = {} as Record<Mode, Cell>;
  const attacker = await startAttacker();
  try {
    for (const mode of MODES) {
      let signedIn: SignedInPage | null = null;
      try {
        ctx.progress(`    ${mode}: signing in through its page in Chromium`);
        signedIn = await signInThroughPage(browser, base, mode, account);
        try {
          const outcome = await probeScriptRead(signedIn, base);
          let federated: { signedIn: SignedInPage; outcome: ScriptReadOutcome } | null = null;
          if (mode === 'oidc') {
            const web = await signInThroughPage(browser, base, 'federated', account);
            try {
              federated = { signedIn: web, outcome: await probeScriptRead(web, base) };
            } finally {
              await web.context.close();
            }
          }
          scriptRead[mode] = scriptReadCell(signedIn, outcome, federated);
        } catch (error) {
          scriptRead[mode] = failedCell(error, `Chromium: sign in through the ${mode} page, then a script in the page`);
        }
        ctx.progress(`    ${mode}: a cross-site form against the signed-in browser`);
        crossSiteForm[mode] = await crossSiteFormCell(signedIn, base, account, attacker.port);
      } catch (error) {
        const source = `Chromium: the ${mode} page`;
        scriptRead[mode] ??= failedCell(error, source);
        crossSiteForm[mode] ??= failedCell(error, source);
      } finally {
        await signedIn?.context.close();
      }
    }
  } finally {
    attacker.server.closeAllConnections();
    await new Promise<void>((resolve) => attacker.server.close(() => resolve()));
  }
  return { scriptRead, crossSiteForm };
}
