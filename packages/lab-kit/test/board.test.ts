/** `pnpm lab board`: each lab's state, times and hints, as JSON and on a local page. */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { type BoardRow, boardPage } from '../src/board.ts';
import { writePrivateFile } from '../src/lab-home.ts';
import { signSolve } from '../src/solve-proof.ts';
import { labSandbox, runLabCli, type Sandbox, startLabCli } from './support/cli.ts';

const KEY = Buffer.alloc(32, 1);

/** Lab 01 solved as the runner records it (signed with the sandbox's key), lab 02 started. */
function writeProgress(sandbox: Sandbox): void {
  writePrivateFile(join(sandbox.env.AUTHLAB_HOME as string, 'labs', 'solve-key'), KEY.toString('base64url'));
  const solvedAt = '2026-12-04T09:20:00.000Z';
  const progress = {
    '01-password-storage': {
      startedAt: '2026-12-04T09:00:00.000Z',
      solvedAt,
      hintsSeen: 1,
      proof: signSolve(KEY, '01-password-storage', solvedAt, 'c'.repeat(64)),
    },
    '02-login-limits': { startedAt: '2026-12-04T09:25:00.000Z', hintsSeen: 3 },
  };
  writeFileSync(sandbox.stateFile, JSON.stringify(progress));
}

test('--json lists every lab with its state, start and solve times and hints used', async () => {
  const sandbox = labSandbox();
  try {
    writeProgress(sandbox);
    const { code, stdout } = await runLabCli(['board', '--json'], sandbox.env);
    assert.equal(code, 0);
    const rows = JSON.parse(stdout) as BoardRow[];
    assert.equal(rows.length, 13);
    assert.deepEqual(rows[0], {
      id: '01-password-storage',
      title: rows[0]?.title,
      state: 'solved',
      startedAt: '2026-12-04T09:00:00.000Z',
      solvedAt: '2026-12-04T09:20:00.000Z',
      hintsUsed: 1,
      hintTiers: 3,
    });
    assert.equal(rows[1]?.state, 'started');
    assert.equal(rows[1]?.hintsUsed, 3);
    assert.equal(rows[2]?.state, 'not started');
  } finally {
    sandbox.remove();
  }
});

test('serves the board page and board.json on 127.0.0.1 until stopped', async () => {
  const sandbox = labSandbox();
  try {
    writeProgress(sandbox);
    const cli = startLabCli(['board'], sandbox.env);
    await cli.waitFor(/The lab board: http:\/\/127\.0\.0\.1:\d+\//);
    const url = /The lab board: (\S+)/.exec(cli.output())?.[1] as string;
    const answer = await fetch(url);
    assert.match(answer.headers.get('content-security-policy') ?? '', /default-src 'none'/);
    const page = await answer.text();
    assert.match(page, /1 of 13 solved/);
    const json = (await (await fetch(`${url}board.json`)).json()) as BoardRow[];
    assert.equal(json[0]?.state, 'solved');
    cli.child.kill('SIGINT');
    assert.equal(await cli.exited, 0);
  } finally {
    sandbox.remove();
  }
});

test('the page escapes what it shows', () => {
  const row: BoardRow = {
    id: '99-x',
    title: '<script>alert(1)</script>',
    state: 'started',
    startedAt: null,
    solvedAt: null,
    hintsUsed: 0,
    hintTiers: 3,
  };
  assert.doesNotMatch(boardPage([row]), /<script>alert/);
});
