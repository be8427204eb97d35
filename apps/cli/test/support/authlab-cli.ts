import assert from 'node:assert/strict';
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { BrowserReport } from './fake-system-browser.ts';

/** The workspace root, where `pnpm authlab` is defined. */
export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const CLI_MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));
const FAKE_BROWSER = fileURLToPath(new URL('./fake-system-browser.ts', import.meta.url));

/** A stack trace line (`    at fn (file:1:2)`): the CLI must never print one. */
export const STACK_TRACE = /\n\s+at /;

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * One person's machine for the CLI: a temporary HOME and AUTHLAB_HOME, and an environment made
 * of those and nothing of the developer's (no BROWSER, no DBUS_SESSION_BUS_ADDRESS, no
 * AUTHLAB_*), with this Node first on PATH so `pnpm` and the browser command run it too.
 */
export class Machine {
  readonly root = mkdtempSync(join(tmpdir(), 'authlab-cli-e2e-'));
  readonly home = join(this.root, 'home');
  readonly authlabHome = join(this.root, 'authlab');
  /** Where `AUTHLAB_VAULT=file` keeps the refresh tokens. */
  readonly vaultFile = join(this.authlabHome, 'vault.json');

  /** The environment of a CLI run: `AUTHLAB_VAULT=file` unless `extra` says otherwise (`undefined` unsets). */
  env(extra: Record<string, string | undefined> = {}): Record<string, string> {
    const env: Record<string, string | undefined> = {
      PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`,
      HOME: this.home,
      AUTHLAB_HOME: this.authlabHome,
      AUTHLAB_VAULT: 'file',
      ...extra,
    };
    return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined));
  }

  /** The vault file's entries (`<mode>:<server>` → the stored JSON), or null when there is no file. */
  vaultEntries(): Record<string, string> | null {
    if (!existsSync(this.vaultFile)) return null;
    return (JSON.parse(readFileSync(this.vaultFile, 'utf8')) as { entries: Record<string, string> }).entries;
  }

  /** The refresh token the vault holds for `account`, read the way an attacker with the file would. */
  storedRefreshToken(account: string): string {
    const secret = this.vaultEntries()?.[account];
    assert.ok(secret, `the vault holds an entry for ${account}`);
    const { refreshToken } = JSON.parse(secret) as { refreshToken?: string };
    assert.ok(refreshToken, 'the entry has a refresh token');
    return refreshToken;
  }

  remove(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

export interface RunningProcess {
  readonly child: ChildProcessWithoutNullStreams;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first match of `pattern` in stderr; rejects if the process ends first. */
  waitForStderr(pattern: RegExp): Promise<RegExpMatchArray>;
  /** The outcome, once the process has exited; asserts that stderr holds no stack trace. */
  done(): Promise<CliResult>;
}

const running = new Set<ChildProcessWithoutNullStreams>();

/** Ends the processes of this file that are still running (after a failed test), by their pid. */
export function killLeftoverProcesses(): void {
  for (const child of running) child.kill('SIGTERM');
}

function startProcess(
  command: string,
  args: string[],
  options: { env: Record<string, string>; stdin?: string },
): RunningProcess {
  const child = spawn(command, args, { cwd: REPO_ROOT, env: options.env, stdio: 'pipe' });
  running.add(child);
  let stdout = '';
  let stderr = '';
  const stderrListeners = new Set<() => void>();
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    for (const listener of stderrListeners) listener();
  });
  // Not a terminal either way: the CLI then reads its answers from these lines.
  child.stdin.end(options.stdin ?? '');
  const exited = new Promise<CliResult>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      running.delete(child);
      for (const listener of stderrListeners) listener();
      resolve({ code, signal, stdout, stderr });
    });
  });
  exited.catch(() => {});
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    waitForStderr: (pattern) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const match = stderr.match(pattern);
          if (match) {
            stderrListeners.delete(check);
            resolve(match);
          } else if (!running.has(child)) {
            stderrListeners.delete(check);
            reject(new Error(`the process ended without printing ${pattern} on stderr:\n${stderr}`));
          }
        };
        stderrListeners.add(check);
        check();
      }),
    done: async () => {
      const result = await exited;
      assert.doesNotMatch(result.stderr, STACK_TRACE, `no stack trace on stderr:\n${result.stderr}`);
      return result;
    },
  };
}

/** `node apps/cli/src/main.ts <args>` as pnpm runs it, started: for a run the test interacts with. */
export function startAuthlab(args: string[], options: { env: Record<string, string>; stdin?: string }) {
  return startProcess(process.execPath, ['--disable-warning=ExperimentalWarning', CLI_MAIN, ...args], options);
}

/** One CLI command to its end; stderr is checked for stack traces. */
export function authlab(args: string[], options: { env: Record<string, string>; stdin?: string }) {
  return startAuthlab(args, options).done();
}

/** `pnpm -s authlab <args>` from the workspace root, the way a person pipes it into `jq`. */
export function pnpmAuthlab(args: string[], options: { env: Record<string, string> }) {
  return startProcess('pnpm', ['-s', 'authlab', ...args], options).done();
}

/** `--browser` for the CLI: this Node running the fake system browser (quoted: paths may hold spaces). */
export const fakeBrowserCommand = () => `"${process.execPath}" --disable-warning=ExperimentalWarning "${FAKE_BROWSER}"`;

/**
 * Follows the report file of the fake system browser (see fake-system-browser.ts), which the
 * CLI starts detached with its output ignored.
 */
export class FakeBrowserReport {
  readonly file: string;
  #stopped = false;

  constructor(file: string) {
    this.file = file;
  }

  lines(): BrowserReport[] {
    if (!existsSync(this.file)) return [];
    return readFileSync(this.file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as BrowserReport);
  }

  /**
   * The first line for which `pick` returns a value. Rejects when the browser reported a failure
   * first, and (a guard against a hang, not a timing check) when nothing came within `waitMs`.
   */
  async waitFor<T>(pick: (line: BrowserReport) => T | undefined, what: string, waitMs = 60_000): Promise<T> {
    const deadline = Date.now() + waitMs;
    while (!this.#stopped) {
      for (const line of this.lines()) {
        const picked = pick(line);
        if (picked !== undefined) return picked;
        if (line.event === 'failed') throw new Error(`the fake system browser failed: ${line.error}`);
      }
      if (Date.now() > deadline) {
        throw new Error(
          `the fake system browser reported no ${what} within ${waitMs} ms: ${JSON.stringify(this.lines())}`,
        );
      }
      await delay(50);
    }
    throw new Error('stopped following the fake system browser');
  }

  /** Rejects as soon as the browser reports a failure (never resolves otherwise). */
  failure(): Promise<never> {
    const failed = this.waitFor(() => undefined, 'failure', 2 ** 31 - 1) as Promise<never>;
    failed.catch(() => {});
    return failed;
  }

  /** Stops following, and ends the browser process (and so its Chromium) if it is still running. */
  stop(): void {
    this.#stopped = true;
    const lines = this.lines();
    const started = lines.find((line) => line.event === 'started');
    if (started?.event === 'started' && !lines.some((line) => line.event === 'exited')) {
      try {
        process.kill(started.pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
  }
}
