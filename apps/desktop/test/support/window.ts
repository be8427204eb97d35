import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { CHANNELS } from '../../src/core/api.ts';
import type { DesktopCore } from '../../src/core/desktop-core.ts';
import { readRendererFile } from '../../src/core/renderer-files.ts';

/**
 * The built renderer over HTTP on 127.0.0.1, answered by the same function as the app protocol
 * (so with the same CSP header). `appUrl` is what the handlers accept as their sender.
 */
export async function serveRenderer(rendererDir: string): Promise<{ appUrl: string; close(): Promise<void> }> {
  let appUrl = '';
  const server: Server = createServer((request, response) => {
    readRendererFile(rendererDir, new URL(request.url ?? '/', appUrl).href, appUrl).then(
      (file) => response.writeHead(file.status, file.headers).end(file.body),
      () => response.writeHead(500).end(),
    );
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  appUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/index.html`;
  return {
    appUrl,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * What the preload script does under Electron, done by Playwright: `window.authlab` in every
 * page of the context, each method a call into the real handlers in this Node process, with the
 * calling frame as the sender (so the sender check runs for real); pushed snapshots delivered to
 * `onState` listeners.
 */
export async function bridgeToCore(context: BrowserContext, core: DesktopCore): Promise<void> {
  await context.exposeBinding('__authlabInvoke', ({ frame, page }, channel: string, args: unknown[]) =>
    core.invoke(channel, { url: frame.url(), mainFrame: frame === page.mainFrame() }, args),
  );
  await context.addInitScript({
    content: `(() => {
      const channels = ${JSON.stringify(CHANNELS)};
      const listeners = new Set();
      const api = {};
      for (const [method, channel] of Object.entries(channels)) {
        api[method] = (...args) => window.__authlabInvoke(channel, args);
      }
      api.onState = (listener) => { listeners.add(listener); return () => listeners.delete(listener); };
      Object.defineProperty(window, '__authlabPush', {
        value: (snapshot) => { for (const listener of listeners) listener(snapshot); },
      });
      Object.defineProperty(window, 'authlab', { value: Object.freeze(api) });
    })();`,
  });
  core.subscribe((snapshot) => {
    for (const page of context.pages()) {
      page
        .evaluate(
          (pushed) => (globalThis as unknown as { __authlabPush(s: unknown): void }).__authlabPush(pushed),
          snapshot,
        )
        .catch(() => {
          // The page is navigating or closed: it reads the state again when it loads.
        });
    }
  });
}

/** Waits until `read()` satisfies `test`; fails with the last value after `timeoutMs`. */
export async function waitFor<T>(
  read: () => Promise<T>,
  test: (value: T) => boolean,
  what: string,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!test(value)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last value: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    value = await read();
  }
  return value;
}

/** A panel of the window and its parts, by the roles and fields people and tests use. */
export function panelOf(page: Page, mode: 'oidc' | 'jwt' | 'session') {
  const root = page.locator(`#panel-${mode}`);
  const field = (name: string): Locator => root.locator(`[data-field="${name}"]`);
  const text = async (name: string) => (await field(name).textContent())?.trim() ?? '';
  return {
    root,
    field,
    text,
    button: (name: string) => root.getByRole('button', { name, exact: true }),
    refreshCount: async () => Number(await text('refresh-count')),
    async signInWithForm(email: string, password: string) {
      await root.getByLabel('Email').fill(email);
      await root.getByLabel('Password').fill(password);
      await root.getByRole('button', { name: 'Sign in', exact: true }).click();
    },
    async waitForWho(pattern: RegExp) {
      return waitFor(
        () => text('who'),
        (who) => pattern.test(who),
        `${mode} panel to say ${pattern}`,
      );
    },
  };
}
