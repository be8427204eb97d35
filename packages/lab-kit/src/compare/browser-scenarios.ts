/**
 * Rows 2 and 3 of `pnpm lab compare`, the ones that need a real browser (the system Chromium
 * through playwright-core): one signed-in browser context per mode (plus OIDC as a web app's
 * sign-in), probed by script-read.ts and cross-site-form.ts.
 */
import type { Browser } from 'playwright-core';
import { type SignedInPage, signInThroughPage } from './browser-sign-in.ts';
import { crossSiteFormCell, startAttacker } from './cross-site-form.ts';
import type { Account, ScenarioContext } from './scenario.ts';
import { probeScriptRead, type ScriptReadOutcome, scriptReadCell } from './script-read.ts';
import { type Cell, failedCell, MODES, type Mode } from './types.ts';

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
