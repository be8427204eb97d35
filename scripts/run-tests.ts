/**
 * `pnpm test`: every suite of the workspace through node:test, with the spec reporter for people
 * and one closing line `N passed, N failed, N skipped` for CI.
 *
 *   pnpm test                      all suites
 *   pnpm test apps/server/test     one folder (or file) only
 */
import { spawn } from 'node:child_process';
import { readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const isDirectory = (path: string) => {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
};

// node --test takes files and globs; a folder becomes the glob of the test files below it.
const args = process.argv.slice(2).map((arg) => (isDirectory(arg) ? `${arg.replace(/\/$/, '')}/**/*.test.ts` : arg));
const targets =
  args.length > 0
    ? args
    : ['apps/*/test/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'labs/**/*.test.ts', 'scripts/test/**/*.test.ts'];
const summaryFile = join(tmpdir(), `authlab-test-summary-${process.pid}.txt`);

const child = spawn(
  process.execPath,
  [
    '--test',
    '--disable-warning=ExperimentalWarning',
    '--test-timeout=120000',
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    `--test-reporter=${new URL('./test-summary-reporter.ts', import.meta.url).pathname}`,
    `--test-reporter-destination=${summaryFile}`,
    ...targets,
  ],
  { stdio: 'inherit' },
);

child.on('exit', (code, signal) => {
  let summary = '';
  try {
    summary = readFileSync(summaryFile, 'utf8').trim();
    rmSync(summaryFile, { force: true });
  } catch {
    summary = '0 passed, 1 failed, 0 skipped';
  }
  process.stdout.write(`\n${summary}\n`);
  process.exit(code ?? (signal ? 1 : 0));
});
