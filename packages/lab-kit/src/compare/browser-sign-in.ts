/**
 * Signing in through each mode's own web page in the system Chromium, as a person would, and what
 * the harness then knows from outside the page (the cookie jar, the network): the browser side of
 * rows 2 and 3 of `pnpm lab compare`.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { Account } from './scenario.ts';
import type { Mode } from './types.ts';

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

export const SESSION_COOKIE = /^(__Host-)?authlab\.sid(\.sig)?$/;
export const REFRESH_COOKIE = /^(__Secure-)?authlab\.rt$/;

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
