/**
 * The report's sequence diagrams: alice signs in, calls the API, refreshes and signs out in each
 * mode through the server's own `/compare` page in the system Chromium, with the page's traffic
 * recording on; the server's recording (every message that passed, secrets already shortened) is
 * kept in the result and drawn in the HTML report with @authlab/sequence.
 */

import { escapeHtml } from '@authlab/html';
import { sequenceMermaid, sequenceSvg, type WireMessage } from '@authlab/sequence';
import type { Browser, Page } from 'playwright-core';
import type { Account } from './scenario.ts';
import { MODES, type Mode } from './types.ts';

export type RecordedSequences = Record<Mode, WireMessage[]>;

const TITLES: Record<Mode, string> = {
  session: 'Server session',
  jwt: 'JWT + refresh token',
  oidc: 'OpenID Connect (the page as a public client, PKCE)',
};

async function inPanel(page: Page, mode: Mode, button: string, until: string): Promise<void> {
  const panel = page.locator(`#panel-${mode}`);
  await panel.getByRole('button', { name: button, exact: true }).click();
  await panel.locator(until).first().waitFor();
}

/** Runs each mode's life through `/compare` and returns what the server recorded, per mode. */
export async function recordSequences(browser: Browser, base: string, account: Account): Promise<RecordedSequences> {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    page.setDefaultTimeout(30_000);
    await page.goto(`${base}/compare`);
    for (const mode of ['session', 'jwt'] as const) {
      const panel = page.locator(`#panel-${mode}`);
      await panel.getByLabel('Email').fill(account.email);
      await panel.getByLabel('Password').fill(account.password);
      await panel.getByRole('button', { name: 'Sign in' }).click();
      await panel.locator('[data-field="status"]', { hasText: /^signed in$/ }).waitFor();
    }
    await page.locator('#panel-oidc').getByRole('button', { name: 'Sign in at the provider' }).click();
    await page.waitForURL(/\/oidc\/interaction\//);
    await page.getByLabel('Email').fill(account.email);
    await page.getByLabel('Password').fill(account.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#allow').click();
    await page.waitForURL(`${base}/compare`);
    for (const mode of MODES) {
      await page.locator(`#panel-${mode} [data-field="status"]`, { hasText: /^signed in$/ }).waitFor();
      await inPanel(page, mode, 'Call API', '[data-field="api-result"]:text-matches("→ 200")');
      await inPanel(page, mode, 'Refresh now', '[data-field="refresh-count"]:text-is("1")');
      await inPanel(page, mode, 'Sign out', '[data-field="status"]:text-is("signed out")');
    }
    const answer = await page.request.get(`${base}/compare/recording`);
    if (answer.status() !== 200) throw new Error(`GET /compare/recording answered ${answer.status()}`);
    const { messages } = (await answer.json()) as { messages: WireMessage[] };
    return Object.fromEntries(
      MODES.map((mode) => [mode, messages.filter((m) => m.mode === mode)]),
    ) as RecordedSequences;
  } finally {
    await context.close();
  }
}

/** The report's section: per mode, the drawing and its Mermaid text for slides. */
export function sequencesSection(sequences: RecordedSequences | undefined): string {
  if (!sequences) return '';
  const figures = MODES.map((mode) => {
    const messages = sequences[mode];
    return `<figure><figcaption>${escapeHtml(TITLES[mode])}</figcaption>
${sequenceSvg(messages, { title: `${TITLES[mode]}: sign in, call the API, refresh, sign out` })}
<details><summary>As Mermaid text, for slides</summary><pre>${escapeHtml(sequenceMermaid(messages))}</pre></details></figure>`;
  });
  return `<h2>What passed on the wire</h2>
<p class="note">Sign in, call the API, refresh and sign out in each mode through <code>/compare</code>, recorded by the
server as the messages passed (browser ↔ server ↔ provider). Passwords are masked and tokens, codes and cookies
shortened before they were recorded.</p>
${figures.join('\n')}`;
}
