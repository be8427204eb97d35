import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const reporter = fileURLToPath(new URL('../test-summary-reporter.ts', import.meta.url));
const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}.fixture.ts`, import.meta.url));

/** Runs fixture files under node:test with the summary reporter alone; returns its line. */
function summaryOf(...names: string[]): string {
  const result = spawnSync(
    process.execPath,
    ['--test', '--disable-warning=ExperimentalWarning', `--test-reporter=${reporter}`, ...names.map(fixture)],
    { encoding: 'utf8', env: { ...process.env, NODE_TEST_CONTEXT: undefined } },
  );
  return result.stdout.trim();
}

describe('the closing summary line', () => {
  it('counts a failing test inside a suite once, not again for its suite', () => {
    assert.equal(summaryOf('suite-with-a-failing-test'), '1 passed, 1 failed, 0 skipped');
  });

  it('counts a failing subtest once, not again for its parent test', () => {
    assert.equal(summaryOf('nested-tests'), '1 passed, 1 failed, 0 skipped');
  });

  it('counts the tests a failing before hook cancelled as failures, and the hook no more', () => {
    assert.equal(summaryOf('failing-before-hook'), '0 passed, 2 failed, 0 skipped');
  });

  it('counts a failing after hook as a failure although every test passed', () => {
    assert.equal(summaryOf('failing-after-hook'), '2 passed, 1 failed, 0 skipped');
  });

  it('counts an error thrown in a describe body as a failure', () => {
    assert.match(summaryOf('throwing-describe-body'), /^0 passed, [1-9]\d* failed, 0 skipped$/);
  });

  it('counts a test file that throws at top level as a failure', () => {
    assert.equal(summaryOf('throwing-file'), '0 passed, 1 failed, 0 skipped');
  });

  it('counts skip and todo as skipped', () => {
    assert.equal(summaryOf('skipped-and-todo'), '1 passed, 0 failed, 2 skipped');
  });

  it('adds up across files', () => {
    assert.equal(
      summaryOf('suite-with-a-failing-test', 'failing-after-hook', 'skipped-and-todo'),
      '4 passed, 2 failed, 2 skipped',
    );
  });
});
