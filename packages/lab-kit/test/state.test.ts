/** The progress file under two commands at once: no update is lost, a crashed holder's lock is taken over. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { readProgress, updateProgress } from '../src/state.ts';

const STATE = join(import.meta.dirname, '../src/state.ts');
let dir: string;
let previous: string | undefined;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'authlab-lab-state-'));
  previous = process.env.AUTHLAB_LAB_STATE;
  process.env.AUTHLAB_LAB_STATE = join(dir, 'progress.json');
});
afterEach(() => {
  if (previous === undefined) delete process.env.AUTHLAB_LAB_STATE;
  else process.env.AUTHLAB_LAB_STATE = previous;
  rmSync(dir, { recursive: true, force: true });
});

/** A process that counts `times` hints of `lab`, one read-modify-write each, as `pnpm lab hint` does. */
function countHints(lab: string, times: number): Promise<number | null> {
  const script = `
    const { updateProgress } = await import(${JSON.stringify(STATE)});
    for (let i = 0; i < ${times}; i++) updateProgress(${JSON.stringify(lab)}, (p) => ({ ...p, hintsSeen: p.hintsSeen + 1 }));
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'inherit' });
  return new Promise((resolve) => child.once('exit', resolve));
}

test('several commands updating the progress at once lose none of each other’s changes', async () => {
  const codes = await Promise.all([
    countHints('01-password-storage', 40),
    countHints('01-password-storage', 40),
    countHints('02-login-limits', 40),
    countHints('02-login-limits', 40),
  ]);
  assert.deepEqual(codes, [0, 0, 0, 0]);
  const progress = readProgress();
  assert.equal(progress['01-password-storage']?.hintsSeen, 80);
  assert.equal(progress['02-login-limits']?.hintsSeen, 80);
  assert.deepEqual(readFileSync(process.env.AUTHLAB_LAB_STATE as string, 'utf8').endsWith('\n'), true);
});

test('a lock left by a command that died is taken over', () => {
  // No process has pid 2^22 + 1 (above Linux's pid_max default); a lock naming it is stale.
  writeFileSync(`${process.env.AUTHLAB_LAB_STATE}.lock`, String(2 ** 22 + 1));
  const next = updateProgress('08-refresh-rotation', (p) => ({ ...p, hintsSeen: 1 }));
  assert.equal(next?.hintsSeen, 1);
  assert.equal(readProgress()['08-refresh-rotation']?.hintsSeen, 1);
});
