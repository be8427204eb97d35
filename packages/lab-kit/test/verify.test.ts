/**
 * `pnpm lab verify` inside `pnpm test`: for every lab, the attacker succeeds against starter/,
 * fails against solution/, and the functional checks hold; and verify itself can fail.
 */
import assert from 'node:assert/strict';
import { cpSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { findChromium, requireComponent } from '@authlab/testkit';
import { listLabs, REPO_ROOT } from '../src/labs.ts';
import { verifyLab } from '../src/verify.ts';
import { labSandbox, runLabCli } from './support/cli.ts';

describe('every lab teaches what it says', { concurrency: 2 }, () => {
  for (const lab of listLabs()) {
    test(`${lab.id}: attack works on starter/, fails on solution/, checks hold`, async (t) => {
      if (lab.needs.includes('chromium')) {
        if (!requireComponent(t, findChromium() !== null, 'Chromium', 'apt-get install chromium')) return;
      }
      const verdict = await verifyLab(lab);
      assert.deepEqual(verdict.problems, []);
      assert.ok(verdict.starter && !('error' in verdict.starter.outcome) && verdict.starter.outcome.succeeded);
      assert.ok(verdict.solution?.solved);
      assert.ok((verdict.solution?.checks.length ?? 0) >= 2, 'at least two functional checks');
    });
  }
});

describe('pnpm lab verify', () => {
  test('fails, naming the problem, when a solution no longer stops its attack', async () => {
    const sandbox = labSandbox();
    const labsDir = join(sandbox.workspace, '..', 'labs');
    try {
      const broken = join(labsDir, '01-password-storage');
      const original = join(REPO_ROOT, 'labs/01-password-storage');
      cpSync(original, broken, {
        recursive: true,
        filter: (source) => !source.slice(original.length).startsWith('/work'),
      });
      rmSync(join(broken, 'solution'), { recursive: true });
      cpSync(join(broken, 'starter'), join(broken, 'solution'), { recursive: true });

      const { code, stdout } = await runLabCli(['verify'], { ...sandbox.env, AUTHLAB_LABS_DIR: labsDir });
      assert.equal(code, 1);
      assert.match(stdout, /✗ 01-password-storage/);
      assert.match(stdout, /solution: the attack should fail but worked: "dragonfly-7"/);
      assert.match(stdout, /solution: check "bob's bcrypt hash is replaced.*" failed/);
      assert.match(stdout, /0 of 1 labs verified/);
    } finally {
      sandbox.remove();
    }
  });
});
