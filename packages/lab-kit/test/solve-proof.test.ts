/** A solve counts only when the runner that verified it recorded it: editing the progress file cannot. */
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { BoardRow } from '../src/board.ts';
import { readOrCreateSecret } from '../src/lab-home.ts';
import { hashWorkFiles, isGenuineSolve, labStatus, signSolve } from '../src/solve-proof.ts';
import { labSandbox, runLabCli } from './support/cli.ts';

const KEY = Buffer.alloc(32, 7);
const LAB = '01-password-storage';
const HASH = 'a'.repeat(64);
const genuine = () => {
  const solvedAt = '2026-12-04T09:20:00.000Z';
  return { startedAt: '2026-12-04T09:00:00.000Z', solvedAt, hintsSeen: 0, proof: signSolve(KEY, LAB, solvedAt, HASH) };
};

test('a solve the runner signed is solved', () => {
  assert.equal(labStatus(KEY, LAB, genuine()), 'solved');
});

test('a solvedAt typed in, with no proof or a made-up one, is tampered, not solved', () => {
  const typed = { startedAt: '2026-12-04T09:00:00.000Z', solvedAt: '2026-12-04T09:20:00.000Z', hintsSeen: 0 };
  assert.equal(labStatus(KEY, LAB, typed), 'tampered');
  assert.equal(labStatus(KEY, LAB, { ...typed, proof: { workHash: HASH, mac: 'A'.repeat(43) } }), 'tampered');
  assert.equal(labStatus(KEY, LAB, { ...typed, proof: { workHash: HASH } }), 'tampered');
});

test('a genuine record moved to another lab, re-timed, re-hashed or checked with another key does not verify', () => {
  const record = genuine();
  assert.equal(isGenuineSolve(KEY, '04-csrf', record), false);
  assert.equal(isGenuineSolve(KEY, LAB, { ...record, solvedAt: '2026-12-04T09:10:00.000Z' }), false);
  assert.equal(isGenuineSolve(KEY, LAB, { ...record, proof: { ...record.proof, workHash: 'b'.repeat(64) } }), false);
  assert.equal(isGenuineSolve(Buffer.alloc(32, 8), LAB, record), false);
});

test('the work hash covers every file’s path and bytes, whatever the order they were written in', () => {
  const dir = mkdtempSync(join(tmpdir(), 'authlab-work-hash-'));
  try {
    writeFileSync(join(dir, 'server.ts'), 'one');
    writeFileSync(join(dir, 'metrics.ts'), 'two');
    const first = hashWorkFiles(dir);
    assert.match(first, /^[0-9a-f]{64}$/);
    writeFileSync(join(dir, 'server.ts'), 'one!');
    assert.notEqual(hashWorkFiles(dir), first);
    writeFileSync(join(dir, 'server.ts'), 'one');
    assert.equal(hashWorkFiles(dir), first);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the key is created once, 0600 in a 0700 folder, and a key others can read is refused', () => {
  const home = mkdtempSync(join(tmpdir(), 'authlab-lab-home-'));
  try {
    const file = join(home, 'labs', 'solve-key');
    const key = readOrCreateSecret(file, () => 'first');
    assert.equal(key, 'first');
    assert.equal(
      readOrCreateSecret(file, () => 'second'),
      'first',
      'an existing key is kept',
    );
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(join(home, 'labs')).mode & 0o777, 0o700);
    // An empty key file (a disk that filled up) would be an empty HMAC key: a new secret replaces it.
    writeFileSync(file, '\n', { mode: 0o600 });
    assert.equal(
      readOrCreateSecret(file, () => 'fresh'),
      'fresh',
    );
    chmodSync(file, 0o644);
    assert.throws(() => readOrCreateSecret(file, () => 'third'), { code: 'file_insecure' });
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test('pnpm lab: a lab marked solved by editing the progress file shows as tampered and unlocks no solution', async () => {
  const sandbox = labSandbox();
  try {
    writeFileSync(
      sandbox.stateFile,
      JSON.stringify({
        [LAB]: { startedAt: '2026-12-04T09:00:00.000Z', solvedAt: '2026-12-04T09:20:00.000Z', hintsSeen: 0 },
      }),
    );
    const board = await runLabCli(['board', '--json'], sandbox.env);
    const row = (JSON.parse(board.stdout) as BoardRow[]).find((r) => r.id === LAB);
    assert.equal(row?.state, 'tampered');
    assert.equal(row?.solvedAt, null);
    const listed = await runLabCli([], sandbox.env);
    assert.match(listed.stdout, /01-password-storage .*! tampered/);
    assert.match(listed.stdout, /0 of \d+ solved/);
    const solution = await runLabCli(['solution', '01'], sandbox.env);
    assert.equal(solution.code, 1);
    assert.match(solution.stdout, /unlocks once you have solved it/);
  } finally {
    sandbox.remove();
  }
});
