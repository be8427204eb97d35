/** The labs index in the main README stays in step with the labs' manifests. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { listLabs, REPO_ROOT } from '../src/labs.ts';

test("the README's labs index lists every lab with its mode and time box", () => {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const rows = readme.split('\n').filter((line) => line.startsWith('| [') && line.includes('](labs/'));
  const labs = listLabs();
  assert.equal(rows.length, labs.length, 'one row per lab');
  for (const lab of labs) {
    const row = rows.find((line) => line.includes(`](labs/${lab.id}/README.md)`));
    assert.ok(row, `${lab.id} has a row`);
    const cells = row.split('|').map((cell) => cell.trim());
    assert.equal(cells[2], lab.mode, `${lab.id}: mode`);
    assert.equal(cells[3], `${lab.timeBoxMinutes} min`, `${lab.id}: time box`);
    assert.ok((cells[4] ?? '').length > 20, `${lab.id}: a goal`);
  }
});
