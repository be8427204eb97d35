/**
 * A running lab server as the attacker and the checks see it, started in a child process from a
 * `server.ts` (the learner's working copy, the starter or the solution).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Browser } from 'playwright-core';
import { launchLabBrowser } from './browser.ts';
import { READY_PREFIX } from './host-protocol.ts';
import { postJson } from './request.ts';

export interface LabTarget {
  /** `http://127.0.0.1:<port>` */
  url: string;
  port: number;
  /** The server's data folder (what an attacker who "got the database" reads). */
  dataDir: string;
  /** What the server published with `lab.publish()`. */
  info: Record<string, unknown>;
  /** Moves the server's clock forward, so expiry and rate windows pass at once. */
  advanceClock(ms: number): Promise<void>;
  /** A headless system Chromium, launched on first use and closed with the target. */
  browser(): Promise<Browser>;
  /** Everything the server wrote to stdout and stderr so far. */
  output(): string;
}

export interface RunningLabServer extends LabTarget {
  stop(): Promise<void>;
}

const HOST = join(import.meta.dirname, 'host.ts');
// Far beyond an honest start (a second or two), so that only a hang trips it, also on a laptop under load.
const START_TIMEOUT_MS = 90_000;
/** A server or browser that has not stopped after this long is killed. */
const STOP_GRACE_MS = 5_000;

/**
 * Closes the browser, waiting at most STOP_GRACE_MS: a close that hangs (a tab stuck
 * mid-navigation) is abandoned, and Playwright kills the browsers it launched when the runner exits.
 */
async function closeBrowser(browser: Browser | null): Promise<void> {
  if (!browser) return;
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, STOP_GRACE_MS);
  });
  await Promise.race([browser.close().catch(() => undefined), hung]);
  clearTimeout(timer);
}

/**
 * Starts `server.ts` from `variantDir` and resolves once its health check answers. The child
 * holds an IPC channel to this process only so that it notices when the runner goes away, even
 * by SIGKILL or a crash: it then shuts down instead of living on as an orphan (see host.ts).
 */
export async function startLabServer(variantDir: string, options: { port?: number } = {}): Promise<RunningLabServer> {
  const serverFile = join(variantDir, 'server.ts');
  const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', HOST, serverFile], {
    cwd: variantDir,
    env: { ...process.env, LAB_PORT: String(options.port ?? 0), NODE_ENV: 'development' },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let log = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    log += chunk;
  });
  let ready: Ready;
  try {
    ready = await waitForReady(child, () => log);
    const health = await fetch(`${ready.url}/__lab/health`);
    await health.text();
    if (!health.ok) throw new Error(`the lab server's health check answered ${health.status}\n${log}`);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  child.stdout
    ?.setEncoding('utf8')
    .on('data', (chunk: string) => {
      log += chunk;
    })
    .resume();

  let browser: Promise<Browser> | null = null;
  return {
    ...ready,
    output: () => log,
    async advanceClock(ms) {
      const response = await postJson(ready, '/__lab/clock', { advanceMs: ms });
      if (!response.ok) throw new Error(`advancing the lab clock failed: ${response.status}`);
    },
    browser() {
      browser ??= launchLabBrowser();
      return browser;
    },
    async stop() {
      if (browser) await closeBrowser(await browser.catch(() => null));
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(killer);
    },
  };
}

interface Ready {
  url: string;
  port: number;
  dataDir: string;
  info: Record<string, unknown>;
}

function waitForReady(child: ChildProcess, stderr: () => string): Promise<Ready> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    let before = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the lab server did not report ready within ${START_TIMEOUT_MS / 1000} s\n${stderr()}`));
    }, START_TIMEOUT_MS);
    const onExit = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`the lab server exited (code ${code}) before it was ready:\n${before}${stderr()}`.trim()));
    };
    child.once('exit', onExit);
    // Node itself could not be started there (the folder is gone, say): no 'exit' follows.
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`the lab server could not be started in ${child.spawnargs.at(-1)}: ${error.message}`));
    });
    lines.on('line', (line) => {
      if (!line.startsWith(READY_PREFIX)) {
        before += `${line}\n`;
        return;
      }
      clearTimeout(timer);
      child.off('exit', onExit);
      lines.close();
      resolve(JSON.parse(line.slice(READY_PREFIX.length)) as Ready);
    });
  });
}
