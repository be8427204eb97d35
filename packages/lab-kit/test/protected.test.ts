/**
 * The files a participant must not change are verified by hash at every round, and named when
 * changed; a round with a changed one is never solved.
 */
import assert from 'node:assert/strict';
import { appendFileSync, cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { findLab } from '../src/labs.ts';
import { changedProtectedFiles } from '../src/protected.ts';

/** The copy's files only (the lab folder's own may be mid-edit in a developer's checkout). */
const inCopy = (lab: ReturnType<typeof findLab>, copy: string) =>
  changedProtectedFiles(lab, copy).filter((file) => file.startsWith('work/'));

test("names a protected file of the copy whose content differs from the starter's, and only that one", () => {
  const lab = findLab('02');
  assert.deepEqual(lab.protected, ['metrics.ts']);
  const copy = mkdtempSync(join(lab.dir, '.round-test-'));
  try {
    cpSync(join(lab.dir, 'solution'), copy, { recursive: true });
    assert.deepEqual(inCopy(lab, copy), [], 'the solution changes server.ts only');
    appendFileSync(join(copy, 'metrics.ts'), '\nexport const cheat = true;\n');
    assert.deepEqual(inCopy(lab, copy), ['work/metrics.ts']);
    rmSync(join(copy, 'metrics.ts'));
    assert.deepEqual(inCopy(lab, copy), ['work/metrics.ts'], 'a deleted one counts as changed');
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
});

test('names a file added to or changed in check/ or attack/ of a git checkout', () => {
  const lab = findLab('02');
  const planted = join(lab.dir, 'check', 'planted-by-test.ts');
  try {
    writeFileSync(planted, 'export default [];\n');
    assert.ok(changedProtectedFiles(lab, join(lab.dir, 'starter')).includes('check/planted-by-test.ts'));
  } finally {
    rmSync(planted, { force: true });
  }
});
