/**
 * `pnpm lab verify` inside `pnpm test`: for every lab, the attacker succeeds against starter/,
 * fails against solution/, and the functional checks hold; and verify itself can fail.
 */
import assert from 'node:assert/strict';
import { cpSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { findChromium, requireComponent } from '@authlab/testkit';
import { applyCheat, listCheats, parseCheat } from '../src/cheats.ts';
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
      assert.ok(verdict.cheats.length >= 3, 'at least three wrong fixes in cheats/, each left unsolved');
      for (const cheat of verdict.cheats) assert.ok(cheat.open, `cheat ${cheat.cheat.name} names what is still open`);
    });
  }
});

/** A copy of lab 01 in a sandbox labs folder, for breaking on purpose (its cheats only where asked). */
function copyOfLab01(labsDir: string, { cheats = false } = {}): string {
  const original = join(REPO_ROOT, 'labs/01-password-storage');
  const copy = join(labsDir, '01-password-storage');
  const skipped = cheats ? ['/work'] : ['/work', '/cheats'];
  cpSync(original, copy, {
    recursive: true,
    filter: (source) => !skipped.some((folder) => source.slice(original.length).startsWith(folder)),
  });
  return copy;
}

/** A cheat file: the two lines verify reads, then a diff against solution/server.ts. */
const cheat = (caughtBy: string, diff: string) =>
  `Wrong because: a test cheat.\nCaught by: ${caughtBy}\n\n--- solution/server.ts\n+++ solution/server.ts\n${diff}`;

describe('pnpm lab verify', () => {
  test("every lab's cheats say why they are wrong and what catches them, and apply to today's files", () => {
    for (const lab of listLabs()) {
      const files = listCheats(lab);
      assert.ok(files.length >= 3, `${lab.id} has ${files.length} cheats`);
      for (const file of files) {
        const cheat = parseCheat(file);
        assert.ok(cheat.why.length > 20, `${file}: say why this fix is wrong`);
        rmSync(applyCheat(lab, cheat), { recursive: true });
      }
    }
  });

  test('stops an attack or check that hangs, and reports it instead of stalling', async () => {
    const sandbox = labSandbox();
    const labsDir = join(sandbox.workspace, '..', 'labs');
    try {
      const copy = copyOfLab01(labsDir);
      writeFileSync(
        join(copy, 'check/check.ts'),
        `import { defineChecks } from '@authlab/lab-kit';
export default defineChecks([{ name: 'waits for ever', run: () => new Promise(() => {}) }]);
`,
      );
      const { code, stdout } = await runLabCli(['verify'], {
        ...sandbox.env,
        AUTHLAB_LABS_DIR: labsDir,
        AUTHLAB_LAB_TASK_TIMEOUT_MS: '1500',
      });
      assert.equal(code, 1);
      assert.match(stdout, /starter: check "waits for ever" failed: it did not finish within 1\.5 s \(stopped\)/);
      assert.match(stdout, /solution: check "waits for ever" failed: it did not finish within 1\.5 s/);
    } finally {
      sandbox.remove();
    }
  });

  test('refuses a lab whose lab.json names another folder, saying which', async () => {
    const sandbox = labSandbox();
    const labsDir = join(sandbox.workspace, '..', 'labs');
    try {
      renameSync(copyOfLab01(labsDir), join(labsDir, '01-renamed'));
      const { code, stdout } = await runLabCli(['verify'], { ...sandbox.env, AUTHLAB_LABS_DIR: labsDir });
      assert.equal(code, 1);
      assert.match(stdout, /✗ 01-renamed\n.*lab\.json: "id" is "01-password-storage" but the folder is 01-renamed/);
    } finally {
      sandbox.remove();
    }
  });

  test('fails, naming the problem, when a solution no longer stops its attack', async () => {
    const sandbox = labSandbox();
    const labsDir = join(sandbox.workspace, '..', 'labs');
    try {
      const broken = copyOfLab01(labsDir);
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

  test('fails, naming each, a wrong fix that the lab marks solved and one whose patch no longer applies', async () => {
    const sandbox = labSandbox();
    const labsDir = join(sandbox.workspace, '..', 'labs');
    try {
      const copy = copyOfLab01(labsDir, { cheats: true });
      // Changes a comment only: the reference fix itself, which the lab rightly marks solved.
      writeFileSync(
        join(copy, 'cheats/harmless.patch'),
        cheat(
          'attack',
          `@@ -1,3 +1,3 @@\n /**\n- * A sign-in service whose users table is a JSON file (\`users.json\` in the lab's data folder).\n+ * A sign-in service.\n  * Some users came over from an older system and still have bcrypt hashes.\n`,
        ),
      );
      writeFileSync(
        join(copy, 'cheats/stale.patch'),
        cheat('attack', '@@ -1,2 +1,2 @@\n-a line that is not there\n+another\n context\n'),
      );
      const { code, stdout } = await runLabCli(['verify', '--cheats'], { ...sandbox.env, AUTHLAB_LABS_DIR: labsDir });
      assert.equal(code, 1);
      assert.match(stdout, /✗ cheat harmless is marked SOLVED: strengthen the check or the attack/);
      assert.match(stdout, /✗ cheat stale no longer applies to solution\/server\.ts/);
      assert.match(stdout, /✓ cheat salted-sha256: check "every hash the server writes .*" fails: alice's stored hash/);
    } finally {
      sandbox.remove();
    }
  });
});
