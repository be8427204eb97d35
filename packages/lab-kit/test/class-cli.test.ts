/**
 * Class mode as a room uses it: the instructor runs `pnpm lab board --class` (here on 127.0.0.1),
 * participants `pnpm lab join`, and their runners report to it; every command in a child process
 * with its own progress file and authlab home.
 */
import assert from 'node:assert/strict';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Participant } from '../src/class/class-board.ts';
import { labSandbox, runLabCli, startLabCli } from './support/cli.ts';

test('participants join with the code, their runners report, and an edited progress file reports no solve', async () => {
  const instructor = labSandbox();
  const ada = labSandbox();
  const grace = labSandbox();
  const cli = startLabCli(['board', '--class', '--host', '127.0.0.1', '--port', '0'], instructor.env);
  try {
    await cli.waitFor(/Instructor code \(yours only; shown once, not stored\):\s+(\S+)/);
    const output = cli.output();
    const address = /pnpm lab join (127\.0\.0\.1:\d+) /.exec(output)?.[1] as string;
    const joinCode = /Join code \(show it to the room\):\s+(\S+)/.exec(output)?.[1] as string;
    const instructorCode = /Instructor code \(yours only; shown once, not stored\):\s+(\S+)/.exec(
      output,
    )?.[1] as string;
    assert.ok(joinCode.replace(/-/g, '').length >= 8);
    assert.notEqual(joinCode, instructorCode);

    const wrong = await runLabCli(['join', address, 'WRONG-CODE-0000', '--name', 'Mallory'], ada.env);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /code is not right/);

    const joined = await runLabCli(['join', address, joinCode, '--name', 'Ada'], ada.env);
    assert.equal(joined.code, 0, joined.stderr);
    assert.match(joined.stdout, /never your code/);
    const membership = join(ada.env.AUTHLAB_HOME as string, 'labs', 'class.json');
    assert.equal(statSync(membership).mode & 0o777, 0o600);
    assert.equal((await runLabCli(['hint', '01'], ada.env)).code, 0);

    // Grace types a solve into her progress file, then joins: the board hears "tampered", not "solved".
    writeFileSync(
      grace.stateFile,
      JSON.stringify({
        '04-csrf': { startedAt: '2026-12-04T09:00:00.000Z', solvedAt: '2026-12-04T09:05:00.000Z', hintsSeen: 0 },
      }),
    );
    assert.equal((await runLabCli(['join', address, joinCode, '--name', 'Grace'], grace.env)).code, 0);

    const board = await fetch(`http://${address}/board.json`, {
      headers: { authorization: `Bearer ${instructorCode}` },
    });
    const { participants } = (await board.json()) as { participants: Participant[] };
    const byName = new Map(participants.map((p) => [p.name, p]));
    assert.equal(byName.get('Ada')?.labs['01-password-storage']?.hintsUsed, 1);
    assert.equal(byName.get('Grace')?.labs['04-csrf']?.status, 'tampered');
    assert.equal(byName.get('Grace')?.labs['04-csrf']?.solvedAt, null);

    const joinCodeOnly = await fetch(`http://${address}/board.json`, {
      headers: { authorization: `Bearer ${joinCode}` },
    });
    assert.doesNotMatch(await joinCodeOnly.text(), /Ada|Grace/);

    assert.equal((await runLabCli(['leave'], ada.env)).code, 0);
    assert.throws(() => statSync(membership), { code: 'ENOENT' });
  } finally {
    cli.child.kill('SIGINT');
    await cli.exited;
    for (const sandbox of [instructor, ada, grace]) sandbox.remove();
  }
});

test('--instructor does not open anything on this machine’s board: the instructor view needs the class board’s code', async () => {
  const sandbox = labSandbox();
  try {
    const { code, stderr } = await runLabCli(['board', '--instructor', '--json'], sandbox.env);
    assert.equal(code, 2);
    assert.match(stderr, /instructor code/);
  } finally {
    sandbox.remove();
  }
});
