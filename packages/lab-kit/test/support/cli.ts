import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../src/labs.ts';

const CLI = join(REPO_ROOT, 'packages/lab-kit/src/cli.ts');

export interface Sandbox {
  /** Where this test's working copies live (inside labs/, so packages resolve as for a learner). */
  workspace: string;
  stateFile: string;
  env: NodeJS.ProcessEnv;
  remove(): void;
}

/** A private progress file, working-copy folder and authlab home, so tests never touch a learner's own. */
export function labSandbox(extra: NodeJS.ProcessEnv = {}): Sandbox {
  const root = mkdtempSync(join(REPO_ROOT, 'labs', '.work-test-'));
  const workspace = join(root, 'work');
  const stateFile = join(root, 'progress.json');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    AUTHLAB_LAB_WORKSPACE: workspace,
    AUTHLAB_LAB_STATE: stateFile,
    // The solve key and class membership (lab-home.ts), never the tester's own.
    AUTHLAB_HOME: join(root, 'home'),
    ...extra,
  };
  delete env.AUTHLAB_INSTRUCTOR;
  delete env.AUTHLAB_INSTRUCTOR_CODE;
  return { workspace, stateFile, env, remove: () => rmSync(root, { recursive: true, force: true }) };
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `pnpm lab <args>`, as a participant runs it. */
export function runLabCli(args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', CLI, ...args], {
      cwd: REPO_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export interface InteractiveCli {
  child: ChildProcessWithoutNullStreams;
  /** Everything printed so far. */
  output(): string;
  /** Resolves once the output (after `from`) matches. */
  waitFor(pattern: RegExp, from?: number): Promise<void>;
  exited: Promise<number | null>;
}

/** `pnpm lab start …` with a keyboard (stdin) the test types into. */
export function startLabCli(args: string[], env: NodeJS.ProcessEnv): InteractiveCli {
  const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', CLI, ...args], {
    cwd: REPO_ROOT,
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  const waiters = new Set<() => void>();
  const onData = (chunk: string) => {
    output += chunk;
    for (const waiter of waiters) waiter();
  };
  child.stdout.setEncoding('utf8').on('data', onData);
  child.stderr.setEncoding('utf8').on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  return {
    child,
    output: () => output,
    exited,
    waitFor(pattern, from = 0) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (pattern.test(output.slice(from))) {
            waiters.delete(check);
            resolve();
          }
        };
        waiters.add(check);
        void exited.then(() => {
          if (waiters.delete(check)) reject(new Error(`exited before ${pattern}:\n${output}`));
        });
        check();
      });
    },
  };
}
