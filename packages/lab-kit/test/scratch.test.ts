/** The runner's scratch copies (`.round-*`, `.cheat-*`): gone on Ctrl-C, and after a kill at the next start. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { REPO_ROOT } from '../src/labs.ts';
import { removeStaleScratchDirs, UNOWNED_SCRATCH_MAX_AGE_MS } from '../src/scratch.ts';
import { labSandbox, runLabCli, startLabCli } from './support/cli.ts';

/** The id of a process that has just ended. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid as number;
}

const LAB_01 = join(REPO_ROOT, 'labs/01-password-storage');
const roundsOf = (pid: number) => readdirSync(LAB_01).filter((entry) => entry.startsWith(`.round-${pid}-`));

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let tries = 0; tries < 600 && !condition(); tries += 1) await sleep(100);
  assert.ok(condition(), what);
}

describe('stale scratch copies', () => {
  test("removes the copies of processes that are gone, never a running process's, and unowned ones only when a day old", async () => {
    const labs = mkdtempSync(join(tmpdir(), 'authlab-scratch-'));
    try {
      const dead = await deadPid();
      const lab = join(labs, '01-password-storage');
      const made = (name: string) => {
        mkdirSync(join(lab, name, 'nested'), { recursive: true });
        writeFileSync(join(lab, name, 'server.ts'), '// a snapshot');
        return join(lab, name);
      };
      const deadRound = made(`.round-${dead}-AbC123`);
      const deadCheat = made(`.cheat-${dead}-XyZ789`);
      const ours = made(`.round-${process.pid}-Live01`);
      const oldUnowned = made('.round-OldOne');
      const day = UNOWNED_SCRATCH_MAX_AGE_MS / 1000;
      const past = Date.now() / 1000 - day - 60;
      utimesSync(oldUnowned, past, past);
      const freshUnowned = made('.cheat-NewOne');
      const work = made('work');
      writeFileSync(join(labs, 'README.md'), '# not a lab folder');

      const removed = removeStaleScratchDirs(labs);

      assert.deepEqual(removed.sort(), [deadCheat, deadRound, oldUnowned].sort());
      for (const dir of removed) assert.equal(existsSync(dir), false, `${dir} is removed`);
      for (const dir of [ours, freshUnowned, work]) assert.equal(existsSync(dir), true, `${dir} is kept`);
    } finally {
      rmSync(labs, { recursive: true, force: true });
    }
  });

  test('a missing labs folder removes nothing', () => {
    assert.deepEqual(removeStaleScratchDirs(join(tmpdir(), 'authlab-no-such-labs-folder')), []);
  });
});

describe('the runner and its snapshots', () => {
  test('SIGTERM during a check removes its snapshot; a snapshot left by SIGKILL goes at the next pnpm lab', async () => {
    const sandbox = labSandbox();
    try {
      const terminated = startLabCli(['check', '01'], sandbox.env);
      const pid = terminated.child.pid as number;
      await until(() => roundsOf(pid).length === 1, 'the check takes its snapshot of work/');
      terminated.child.kill('SIGTERM');
      assert.equal(await terminated.exited, 143, 'SIGTERM ends the check with 128 + 15');
      assert.deepEqual(roundsOf(pid), [], 'the snapshot is gone');

      const killed = startLabCli(['check', '01'], sandbox.env);
      const killedPid = killed.child.pid as number;
      await until(() => roundsOf(killedPid).length === 1, 'the check takes its snapshot of work/');
      killed.child.kill('SIGKILL');
      await killed.exited;
      assert.equal(roundsOf(killedPid).length, 1, 'a process killed outright cannot remove anything');
      assert.equal((await runLabCli(['list'], sandbox.env)).code, 0);
      assert.deepEqual(roundsOf(killedPid), [], 'the next pnpm lab removed it: its owner is gone');
    } finally {
      sandbox.remove();
    }
  });

  test('Ctrl-C in pnpm lab start ends it through its own quit, and its snapshot goes too', async () => {
    const sandbox = labSandbox();
    try {
      const runner = startLabCli(['start', '01'], sandbox.env);
      const pid = runner.child.pid as number;
      await runner.waitFor(/Your server: http:\/\/127\.0\.0\.1:\d+/);
      assert.equal(roundsOf(pid).length, 1, "the round's snapshot is there while the server runs from it");
      runner.child.kill('SIGINT');
      assert.equal(await runner.exited, 1, 'start quits as with q: 1, the lab is not solved');
      assert.deepEqual(roundsOf(pid), [], 'the snapshot is gone');
    } finally {
      sandbox.remove();
    }
  });
});
