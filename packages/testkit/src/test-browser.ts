import type { TestContext } from 'node:test';
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import { CHROMIUM_ARGS, findChromium, requireComponent } from './components.ts';

/** The viewport the page suites and screenshots use. */
export const DESKTOP_VIEWPORT = { width: 1280, height: 800 };

export interface TestBrowser {
  browser: Browser;
  /**
   * A fresh, isolated context: its own cookie jar and storage, as another device would have.
   * Console errors, uncaught page errors and CSP violations in it are recorded (see `problems`).
   */
  newContext(options?: BrowserContextOptions): Promise<BrowserContext>;
  /** A page in a new context of its own. */
  newPage(options?: BrowserContextOptions): Promise<Page>;
  /** What went wrong in the pages of a context (or of the page's context), in order. */
  problems(of: BrowserContext | Page): string[];
  /** Closes every context and the browser. */
  close(): Promise<void>;
}

/** Chromium reports violations to the page; this carries them out through an exposed binding. */
const CSP_BINDING = '__authlabReportCspViolation';

async function recordProblems(context: BrowserContext, problems: string[]): Promise<void> {
  context.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error at ${message.location().url}: ${message.text()}`);
  });
  context.on('weberror', (error) => {
    problems.push(`uncaught error at ${error.page()?.url()}: ${error.error().message}`);
  });
  await context.exposeBinding(CSP_BINDING, ({ page }, text: string) => {
    problems.push(`CSP violation at ${page?.url()}: ${text}`);
  });
  // Init scripts run through the DevTools protocol, so the page's own CSP does not block this one.
  // (A string: this project type-checks without the DOM library.)
  await context.addInitScript({
    content: `document.addEventListener('securitypolicyviolation', (event) => {
      window.${CSP_BINDING}(event.effectiveDirective + ' blocked ' + (event.blockedURI || 'inline'));
    });`,
  });
}

/**
 * Launches the system Chromium (Playwright's own download is not needed) headless, in a fresh
 * temporary profile that Playwright removes on close. Throws when no Chromium is installed:
 * guard tests with `needsChromium(t)`.
 *
 * @example
 * const browser = await launchTestBrowser();
 * const page = await browser.newPage();
 * await page.goto(server.url);
 * assert.deepEqual(browser.problems(page), []);
 * await browser.close();
 */
export async function launchTestBrowser(): Promise<TestBrowser> {
  const executablePath = findChromium();
  if (!executablePath) throw new Error('Chromium not found: apt-get install chromium (or set CHROMIUM_PATH)');
  // Loaded here, not at the top: everything that imports the testkit for a free port or a Redis
  // server (the bench's server child among them) would otherwise carry Playwright's ~50 MB.
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS });
  const problemsByContext = new WeakMap<BrowserContext, string[]>();

  const newContext = async (options: BrowserContextOptions = {}) => {
    const context = await browser.newContext({ viewport: DESKTOP_VIEWPORT, ...options });
    const problems: string[] = [];
    problemsByContext.set(context, problems);
    await recordProblems(context, problems);
    return context;
  };

  return {
    browser,
    newContext,
    newPage: async (options) => (await newContext(options)).newPage(),
    problems: (of) => {
      const context = 'mainFrame' in of ? of.context() : of;
      return problemsByContext.get(context) ?? [];
    },
    close: async () => {
      for (const context of browser.contexts()) await context.close();
      await browser.close();
    },
  };
}

/**
 * Where no Chromium is installed: skips the test (fails it in CI, see `requireComponent`).
 * Start each browser test with `if (!needsChromium(t)) return;`.
 */
export const needsChromium = (t: TestContext): boolean =>
  requireComponent(t, findChromium() !== null, 'Chromium', 'apt-get install chromium');
