/**
 * The real authlab server (`node apps/server/src/main.ts`), started as a child process with its
 * configuration in the environment, in a data folder of its own — exactly as `pnpm start` runs.
 * The server is a black box here: whoever uses this (the clients' tests, `pnpm lab compare`,
 * `pnpm soak`) talks to it over HTTP and the `pnpm users` CLI, never through its source.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CookieJarClient } from './cookie-jar-client.ts';
import { freePort } from './redis-server.ts';

const REPO_ROOT = resolve(import.meta.dirname, '../../..');

export const SERVER_MAIN = join(REPO_ROOT, 'apps/server/src/main.ts');
export const USERS_CLI = join(REPO_ROOT, 'apps/server/src/cli/users.ts');
export const DEMO_PASSWORD = 'correct-horse-battery-staple';
export const SERVER_LOG_LEVEL = 'warn';
const CLOCK_SHIM = join(REPO_ROOT, 'packages/testkit/src/server-clock-shim.ts');

/**
 * Every variable the server reads (its config.ts; a server test checks the two lists agree):
 * none leaks in from the shell or test runner that starts it.
 */
export const SERVER_VARIABLES: readonly string[] = [
  'NODE_ENV',
  'HOST',
  'PORT',
  'PUBLIC_URL',
  'DATA_DIR',
  'REDIS_URL',
  'TRUST_PROXY',
  'SESSION_IDLE_TTL',
  'SESSION_ABSOLUTE_TTL',
  'ACCESS_TOKEN_TTL',
  'REFRESH_IDLE_TTL',
  'REFRESH_ABSOLUTE_TTL',
  'REFRESH_REUSE_GRACE',
  'JWT_KEY_ROTATION_INTERVAL',
  'DEMO_PASSWORD',
  'SEED_DEMO',
  'OIDC_UPSTREAM_ISSUER',
  'OIDC_UPSTREAM_CLIENT_ID',
  'OIDC_UPSTREAM_CLIENT_SECRET',
  'OIDC_UPSTREAM_CLIENT_AUTH',
  'LOG_LEVEL',
  'ARGON2_MEMORY_KIB',
  'ARGON2_TIME_COST',
  'ARGON2_PARALLELISM',
];

/** Defaults everywhere except what a comparison must pin: a private port, folder and log level. */
export function serverEnv(values: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of SERVER_VARIABLES) delete env[name];
  // A server started from a test is not a test process itself (node:test marks its children so).
  delete env.NODE_TEST_CONTEXT;
  delete env.NODE_OPTIONS;
  return { ...env, NODE_ENV: 'development', LOG_LEVEL: SERVER_LOG_LEVEL, DEMO_PASSWORD, ...values };
}

export interface ServerProcess {
  /** Where this process listens: `http://127.0.0.1:<port>`. */
  url: string;
  port: number;
  /** Its `PUBLIC_URL` (the same as `url` unless it stands behind another instance's). */
  publicUrl: string;
  dataDir: string;
  pid: number;
  /** What it printed so far. */
  output(): string;
  /**
   * Everything it printed up to now, request log lines included (needs `LOG_LEVEL=info`): a
   * marker request is logged after every request answered before it, so once the marker's line
   * has arrived, so have theirs.
   */
  outputUntilNow(): Promise<string>;
  /** Moves the server's wall clock forward by `ms` (started with `shiftableClock` only). */
  advanceClock(ms: number): Promise<void>;
  /** SIGTERM (graceful: in-flight requests finish, the store closes), then waits for the exit. */
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
const temporaryDirs = new Set<string>();
let exitHookInstalled = false;

/**
 * A comparison interrupted half-way (Ctrl-C, SIGTERM: see command.ts) leaves no server and no data
 * folder behind. A runner killed outright cannot do this: its servers live on until stopped.
 */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of running) child.kill('SIGKILL');
    for (const dir of temporaryDirs) rmSync(dir, { recursive: true, force: true });
  });
}

/** A new folder in the system's temporary folder, removed with `removeDir` or when the process exits. */
export function temporaryDir(prefix: string): string {
  installExitHook();
  const dir = mkdtempSync(join(tmpdir(), prefix));
  temporaryDirs.add(dir);
  return dir;
}

const START_TIMEOUT_MS = 120_000;

export interface StartOptions {
  /** Reuse a folder (e.g. a copy of another instance's); a new temporary one otherwise. */
  dataDir?: string;
  /** Another instance's origin: both stand behind one `PUBLIC_URL`. */
  publicUrl?: string;
  env?: Record<string, string>;
  /**
   * Lets the test move the server's wall clock forward (`advanceClock`): expiry without sleeping,
   * through a preloaded shim (server-clock-shim.ts), not through the server's source.
   */
  shiftableClock?: boolean;
}

/**
 * Starts the real server and resolves once it listens and `/healthz` answers 200.
 *
 * @example
 * const server = await startServerProcess({ env: { ACCESS_TOKEN_TTL: '1m' } });
 * await fetch(`${server.url}/healthz`);
 * await server.stop();
 */
export async function startServerProcess(options: StartOptions = {}): Promise<ServerProcess> {
  installExitHook();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const publicUrl = options.publicUrl ?? url;
  const dataDir = options.dataDir ?? temporaryDir('authlab-compare-');
  try {
    return await launch(port, url, publicUrl, dataDir, options.env ?? {}, options.shiftableClock === true);
  } catch (error) {
    if (!options.dataDir) removeDir(dataDir);
    throw error;
  }
}

async function launch(
  port: number,
  url: string,
  publicUrl: string,
  dataDir: string,
  extraEnv: Record<string, string>,
  shiftableClock: boolean,
): Promise<ServerProcess> {
  const shim = shiftableClock ? ['--import', CLOCK_SHIM] : [];
  const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', ...shim, SERVER_MAIN], {
    cwd: REPO_ROOT,
    env: serverEnv({ PORT: String(port), PUBLIC_URL: publicUrl, DATA_DIR: dataDir, ...extraEnv }),
    stdio: shiftableClock ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  let log = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    log += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    log += chunk;
  });

  await new Promise<void>((resolveReady, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the server did not start within ${START_TIMEOUT_MS / 1000} s:\n${log}`));
    }, START_TIMEOUT_MS);
    const onExit = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`the server exited (code ${code}) before it listened:\n${log}`));
    };
    child.once('exit', onExit);
    const onData = () => {
      if (!log.includes('authlab listening on')) return;
      clearTimeout(timer);
      child.off('exit', onExit);
      child.stdout?.off('data', onData);
      resolveReady();
    };
    child.stdout?.on('data', onData);
  });
  const health = await fetch(`${url}/healthz`);
  await health.text();
  if (!health.ok) {
    child.kill('SIGKILL');
    throw new Error(`GET /healthz answered ${health.status}:\n${log}`);
  }

  return {
    url,
    port,
    publicUrl,
    dataDir,
    pid: child.pid ?? 0,
    output: () => log,
    async outputUntilNow() {
      const marker = `flush-${randomBytes(8).toString('hex')}`;
      await (await fetch(`${url}/healthz`, { headers: { 'X-Request-Id': marker } })).text();
      const deadline = Date.now() + START_TIMEOUT_MS;
      while (!log.includes(marker)) {
        if (child.exitCode !== null || Date.now() > deadline) throw new Error(`no log line for ${marker}:\n${log}`);
        await new Promise((resolveWait) => setTimeout(resolveWait, 10));
      }
      return log;
    },
    async advanceClock(ms) {
      if (!child.connected) throw new Error('advanceClock needs startServerProcess({ shiftableClock: true })');
      const advanced = new Promise<void>((resolveAdvanced) => {
        const onMessage = (message: { type?: string }) => {
          if (message?.type !== 'authlab-testkit:clock-advanced') return;
          child.off('message', onMessage);
          resolveAdvanced();
        };
        child.on('message', onMessage);
      });
      child.send({ type: 'authlab-testkit:advance-clock', advanceMs: ms });
      await advanced;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((done) => child.once('exit', () => done()));
      child.kill('SIGTERM');
      const force = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(force);
    },
  };
}

/** `pnpm users add <email>` against a server's folder: an extra account, as an instructor adds one. */
export async function addUser(dataDir: string, email: string, password: string): Promise<void> {
  const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', USERS_CLI, 'add', email], {
    cwd: REPO_ROOT,
    env: serverEnv({ DATA_DIR: dataDir, AUTHLAB_NEW_PASSWORD: password }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    log += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    log += chunk;
  });
  const code = await new Promise<number | null>((done) => child.once('exit', done));
  if (code !== 0) throw new Error(`pnpm users add ${email} failed (${code}): ${log.trim()}`);
}

/**
 * An account's id, as the server tells its owner: a password sign-in (session mode), `GET
 * /session/me`, and the session ended again, so the account is left as it was.
 */
export async function accountIdOf(serverUrl: string, email: string, password = DEMO_PASSWORD): Promise<string> {
  const browser = new CookieJarClient(serverUrl);
  const login = await browser.request('/session/login', { method: 'POST', json: { email, password } });
  if (login.status !== 200) throw new Error(`${email} could not sign in: ${login.status} ${await login.text()}`);
  const { user } = (await (await browser.request('/session/me')).json()) as { user: { id: string } };
  await (await browser.request('/session/logout', { method: 'POST' })).text();
  return user.id;
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  temporaryDirs.delete(dir);
}
