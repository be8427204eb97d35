/** Row 3: whether a form on another site can act through the victim's signed-in browser. */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { escapeHtml } from '@authlab/html';
import { freePort } from '@authlab/testkit';
import type { Page } from 'playwright-core';
import type { SignedInPage } from './browser-sign-in.ts';
import { HttpClient, signIn } from './http.ts';
import type { Account } from './scenario.ts';
import type { Cell } from './types.ts';

/** The attacker's site: a page that auto-submits a form to the target as soon as it loads. */
export async function startAttacker(): Promise<{ port: number; server: Server }> {
  const port = await freePort();
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://attacker');
    const target = url.searchParams.get('target') ?? '';
    const text = url.searchParams.get('text') ?? '';
    res.setHeader('content-type', 'text/html; charset=utf-8');
    res.end(`<!doctype html><title>You won a prize</title>
<form id="f" method="post" action="${escapeHtml(target)}"><input name="text" value="${escapeHtml(text)}"></form>
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
