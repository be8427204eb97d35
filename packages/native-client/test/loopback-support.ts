import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect } from 'node:net';
import type { Page } from 'playwright-core';

export const ALICE = { email: 'alice@example.com', password: 'correct-horse-battery-staple' };

/** Marks a promise as handled now (it may reject before the test awaits it) and returns it. */
export function started<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => {});
  return promise;
}

/** What the app asked the provider for, read back from the authorization URL. */
export function authorizationRequestOf(url: string) {
  const params = new URL(url).searchParams;
  const redirectUri = new URL(params.get('redirect_uri') ?? '');
  return {
    params,
    redirectUri,
    state: params.get('state') ?? '',
    /** `127.0.0.1` or `::1`, as `net.connect` wants it. */
    host: redirectUri.hostname.replace(/^\[|\]$/g, ''),
    port: Number(redirectUri.port),
  };
}

/** Where a loopback URL points, as `loopbackRequest` and `net.connect` want it. */
export function loopbackTarget(url: string) {
  const parsed = new URL(url);
  return { host: parsed.hostname.replace(/^\[|\]$/g, ''), port: Number(parsed.port), path: parsed.pathname };
}

/**
 * An opener that opens no browser: it records the start link it was given and opens it once,
 * as the browser would, following its redirect no further; the test then plays the browser (or
 * an attacker) with `loopbackRequest`.
 */
export function recordingOpener() {
  let resolveStart!: (url: string) => void;
  let resolveUrl!: (url: string) => void;
  const startUrl = new Promise<string>((resolve) => {
    resolveStart = resolve;
  });
  const url = new Promise<string>((resolve) => {
    resolveUrl = resolve;
  });
  return {
    openBrowser: async (opened: string) => {
      resolveStart(opened);
      const target = loopbackTarget(opened);
      const answer = await loopbackRequest(target, target.path);
      resolveUrl(
        answer.status === 302 ? String(answer.headers.location) : `http://invalid/start-link-answered-${answer.status}`,
      );
    },
    /** What the browser was opened on: the listener's one-time start link. */
    startUrl,
    /** The authorization URL the start link redirected to. */
    url,
  };
}

export interface LoopbackResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * One HTTP request to the listener with full control of the `Host` header and without the
 * `Sec-Fetch-*` headers Node's fetch adds (a plain client, as a browser's top-level navigation
 * looks to the listener apart from those). No keep-alive, so nothing holds the port afterwards.
 */
export function loopbackRequest(
  target: { host: string; port: number },
  path: string,
  options: { method?: string; hostHeader?: string; headers?: Record<string, string> } = {},
): Promise<LoopbackResponse> {
  const literal = target.host.includes(':') ? `[${target.host}]` : target.host;
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: target.host,
        port: target.port,
        path,
        method: options.method ?? 'GET',
        agent: false,
        headers: { host: options.hostHeader ?? `${literal}:${target.port}`, ...options.headers },
      },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          body += chunk;
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** The listener is gone: a TCP connect to its port is refused. */
export async function assertPortClosed(target: { host: string; port: number }): Promise<void> {
  const code = await new Promise<string>((resolve) => {
    const socket = connect(target.port, target.host);
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
  assert.equal(code, 'ECONNREFUSED', `port ${target.port} on ${target.host} should be closed`);
}

/** Alice at the provider's login and consent pages, in a real browser, ending with her choice. */
export async function signInAtProvider(page: Page, url: string, choice: 'allow' | 'deny'): Promise<void> {
  await page.goto(url);
  await page.locator('#email').fill(ALICE.email);
  await page.locator('#password').fill(ALICE.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator(`#${choice}`).click();
}

/**
 * The system browser, played by a Playwright page: the authorizer's `openBrowser` starts alice's
 * sign-in there. `failed` rejects when driving the page fails (so a test fails with that error,
 * not with the authorizer's timeout).
 */
export function playwrightOpener(page: Page, choice: 'allow' | 'deny' = 'allow') {
  let fail!: (error: unknown) => void;
  const failed = new Promise<never>((_, reject) => {
    fail = reject;
  });
  failed.catch(() => {});
  return {
    openBrowser: async (url: string) => {
      signInAtProvider(page, url, choice).catch(fail);
    },
    failed,
  };
}
