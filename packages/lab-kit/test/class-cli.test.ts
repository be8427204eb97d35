/**
 * Class mode as a room uses it: the instructor runs `pnpm lab board --class` (here on 127.0.0.1),
 * participants `pnpm lab join`, and their runners report to it; every command in a child process
 * with its own progress file and authlab home.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, cpSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Participant } from '../src/class/class-board.ts';
import { rememberInstructorCode } from '../src/instructor-gate.ts';
import { REPO_ROOT } from '../src/labs.ts';
import { labSandbox, runLabCli, type Sandbox, startLabCli } from './support/cli.ts';

interface ClassRun {
  address: string;
  /** The instructor's laptop: the board runs there. */
  instructor: Sandbox;
  joinCode: string;
  instructorCode: string;
  participants(): Promise<Map<string, Participant>>;
  stop(): Promise<void>;
}

/** `pnpm lab board --class` on 127.0.0.1, with what it printed. */
async function startClass(): Promise<ClassRun> {
  const instructor = labSandbox();
  const cli = startLabCli(['board', '--class', '--host', '127.0.0.1', '--port', '0'], instructor.env);
  const instructorLine = /Instructor code \(yours only; shown once\):\s+(\S+)/;
  await cli.waitFor(instructorLine);
  const output = cli.output();
  const address = /pnpm lab join (127\.0\.0\.1:\d+) /.exec(output)?.[1] as string;
  const instructorCode = instructorLine.exec(output)?.[1] as string;
  return {
    address,
    instructor,
    joinCode: /Join code \(show it to the room\):\s+(\S+)/.exec(output)?.[1] as string,
    instructorCode,
    async participants() {
      const board = await fetch(`http://${address}/board.json`, {
        headers: { authorization: `Bearer ${instructorCode}` },
      });
      const { participants } = (await board.json()) as { participants: Participant[] };
      return new Map(participants.map((p) => [p.name, p]));
    },
    async stop() {
      cli.child.kill('SIGINT');
      await cli.exited;
      instructor.remove();
    },
  };
}

async function joined(run: ClassRun, name: string): Promise<Sandbox> {
  const sandbox = labSandbox();
  const result = await runLabCli(['join', run.address, run.joinCode, '--name', name], sandbox.env);
  assert.equal(result.code, 0, result.stderr);
  return sandbox;
}

test('a participant joins with the join code (never another), and hints reach the board until they leave', async () => {
  const run = await startClass();
  const ada = labSandbox();
  try {
    assert.ok(run.joinCode.replace(/-/g, '').length >= 8);
    assert.notEqual(run.joinCode, run.instructorCode);
    const wrong = await runLabCli(['join', run.address, 'WRONG-CODE-0000', '--name', 'Mallory'], ada.env);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /code is not right/);

    const result = await runLabCli(['join', run.address, run.joinCode, '--name', 'Ada'], ada.env);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /never your code/);
    const membership = join(ada.env.AUTHLAB_HOME as string, 'labs', 'class.json');
    assert.equal(statSync(membership).mode & 0o777, 0o600);
    assert.equal((await runLabCli(['hint', '01'], ada.env)).code, 0);
    assert.equal((await run.participants()).get('Ada')?.labs['01-password-storage']?.hintsUsed, 1);

    const joinCodeOnly = await fetch(`http://${run.address}/board.json`, {
      headers: { authorization: `Bearer ${run.joinCode}` },
    });
    assert.doesNotMatch(await joinCodeOnly.text(), /Ada/);

    // A membership file cut short (a full disk, an edit) counts as not joined, never a crash.
    const saved = readFileSync(membership, 'utf8');
    writeFileSync(membership, saved.slice(0, 20));
    const cut = await runLabCli(['hint', '01'], ada.env);
    assert.equal(cut.code, 0, cut.stderr);
    assert.equal((await run.participants()).get('Ada')?.labs['01-password-storage']?.hintsUsed, 1, 'nothing sent');
    writeFileSync(membership, saved);

    assert.equal((await runLabCli(['leave'], ada.env)).code, 0);
    assert.throws(() => statSync(membership), { code: 'ENOENT' });
    assert.equal((await runLabCli(['hint', '01'], ada.env)).code, 0);
    assert.equal((await run.participants()).get('Ada')?.labs['01-password-storage']?.hintsUsed, 1, 'nothing sent');
  } finally {
    ada.remove();
    await run.stop();
  }
});

test('a solve typed into the progress file reaches the board as tampered, not solved', async () => {
  const run = await startClass();
  const grace = labSandbox();
  try {
    writeFileSync(
      grace.stateFile,
      JSON.stringify({
        '04-csrf': { startedAt: '2026-12-04T09:00:00.000Z', solvedAt: '2026-12-04T09:05:00.000Z', hintsSeen: 0 },
      }),
    );
    const result = await runLabCli(['join', run.address, run.joinCode, '--name', 'Grace'], grace.env);
    assert.equal(result.code, 0, result.stderr);
    const lab04 = (await run.participants()).get('Grace')?.labs['04-csrf'];
    assert.equal(lab04?.status, 'tampered');
    assert.equal(lab04?.solvedAt, null);
  } finally {
    grace.remove();
    await run.stop();
  }
});

test('a real solve reaches the board with the hash of the files `pnpm lab check` verified', async () => {
  const run = await startClass();
  const ada = await joined(run, 'Ada');
  try {
    const work = join(ada.workspace, '01-password-storage');
    cpSync(join(REPO_ROOT, 'labs/01-password-storage/starter'), work, { recursive: true });
    copyFileSync(join(REPO_ROOT, 'labs/01-password-storage/solution/server.ts'), join(work, 'server.ts'));
    const checked = await runLabCli(['check', '01'], ada.env);
    assert.equal(checked.code, 0, checked.stdout);
    const filesChecked = /\(files checked: ([0-9a-f]{12})\)/.exec(checked.stdout)?.[1] as string;
    const lab01 = (await run.participants()).get('Ada')?.labs['01-password-storage'];
    assert.equal(lab01?.status, 'solved');
    assert.ok(lab01?.solvedAt);
    assert.ok(lab01?.workHash?.startsWith(filesChecked), 'the board shows the hash check printed');
  } finally {
    ada.remove();
    await run.stop();
  }
});

const withCode = (sandbox: Sandbox, code: string) => ({ ...sandbox.env, AUTHLAB_INSTRUCTOR_CODE: code });
const allHints = /Nudge[\s\S]*Concept[\s\S]*Near-answer/;

test('on the instructor’s laptop, --instructor takes the code board --class printed, and no other', async () => {
  const run = await startClass();
  try {
    const wrong = await runLabCli(
      ['solution', '01', '--instructor'],
      withCode(run.instructor, 'QRST-VWXY-Z012-3456-789A'),
    );
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /Instructor mode refused: that is not the instructor code/);
    assert.doesNotMatch(wrong.stdout, /\+\+\+ solution/);
    const missing = await runLabCli(['solution', '01', '--instructor'], run.instructor.env);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /set AUTHLAB_INSTRUCTOR_CODE, or run this in a terminal/);
    assert.doesNotMatch(missing.stdout, /\+\+\+ solution/);
    const right = await runLabCli(['solution', '01', '--instructor'], withCode(run.instructor, run.instructorCode));
    assert.equal(right.code, 0, right.stderr);
    assert.match(right.stdout, /\+\+\+ solution\/server\.ts/);
    assert.match(right.stderr, /code checked by this laptop/);
  } finally {
    await run.stop();
  }
});

/** `pnpm lab <args>` in a pseudo-terminal (util-linux `script`), typing `typed` when asked. */
function inTerminal(
  args: string[],
  env: NodeJS.ProcessEnv,
  typed: string,
): Promise<{ code: number | null; output: string }> {
  const cli = join(REPO_ROOT, 'packages/lab-kit/src/cli.ts');
  const command = [process.execPath, '--disable-warning=ExperimentalWarning', cli, ...args]
    .map((a) => `'${a}'`)
    .join(' ');
  const child = spawn('script', ['-qec', command, '/dev/null'], { cwd: REPO_ROOT, env, stdio: 'pipe' });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    if (!output.includes('not shown as you type') && (output + chunk).includes('not shown as you type')) {
      child.stdin.write(`${typed}\r`);
    }
    output += chunk;
  });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, output })));
}

test('typed at the prompt, the instructor code is not echoed, and unlocks like the variable does', async () => {
  const run = await startClass();
  try {
    const right = await inTerminal(
      ['hint', '01', '--instructor'],
      run.instructor.env,
      run.instructorCode.toLowerCase(),
    );
    assert.equal(right.code, 0, right.output);
    assert.match(right.output, allHints);
    assert.ok(!right.output.toLowerCase().includes(run.instructorCode.toLowerCase()), 'the code was echoed');
    const wrong = await inTerminal(['hint', '01', '--instructor'], run.instructor.env, 'NOPE-NOPE-NOPE-NOPE');
    assert.equal(wrong.code, 1);
    assert.match(wrong.output, /Instructor mode refused/);
    assert.doesNotMatch(wrong.output, /Nudge/);
  } finally {
    await run.stop();
  }
});

test('a participant who joined: the board checks the code and shows the unlock; a code they keep themselves does not count', async () => {
  const run = await startClass();
  const ada = await joined(run, 'Ada');
  try {
    // As if Ada had run `pnpm lab board --class` herself with a code of her own.
    rememberInstructorCode('ADAS-OWN0-CODE-0000-0000', join(ada.env.AUTHLAB_HOME as string, 'labs', 'instructor-code'));
    const own = await runLabCli(['hint', '01', '--instructor'], withCode(ada, 'ADAS-OWN0-CODE-0000-0000'));
    assert.equal(own.code, 1);
    assert.match(own.stderr, /the class board says that is not the instructor code/);
    assert.doesNotMatch(own.stdout, /Concept/);
    assert.deepEqual((await run.participants()).get('Ada')?.instructorUnlocks, []);

    const right = await runLabCli(['hint', '01', '--instructor'], withCode(ada, run.instructorCode));
    assert.equal(right.code, 0, right.stderr);
    assert.match(right.stdout, allHints);
    assert.match(right.stderr, /code checked by class board/);
    assert.deepEqual(
      (await run.participants()).get('Ada')?.instructorUnlocks.map((unlock) => unlock.lab),
      ['01-password-storage'],
    );
  } finally {
    ada.remove();
    await run.stop();
  }
});

test('a laptop that neither joined a class nor ran the board refuses instructor mode and says what to do', async () => {
  const sandbox = labSandbox();
  try {
    const { code, stdout, stderr } = await runLabCli(
      ['hint', '01', '--instructor'],
      withCode(sandbox, 'QRST-VWXY-Z012-3456-789A'),
    );
    assert.equal(code, 1);
    assert.match(stderr, /no instructor code to check against[\s\S]*pnpm lab board --class[\s\S]*pnpm lab join/);
    assert.doesNotMatch(stdout, /Nudge/);
    const viaEnv = await runLabCli(['solution', '01'], { ...withCode(sandbox, 'x'), AUTHLAB_INSTRUCTOR: '1' });
    assert.equal(viaEnv.code, 1);
    assert.match(viaEnv.stderr, /Instructor mode refused/);
  } finally {
    sandbox.remove();
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

test('a class board port that is taken is named, with what to do', async () => {
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  const { port } = taken.address() as AddressInfo;
  const sandbox = labSandbox();
  try {
    const { code, stderr } = await runLabCli(
      ['board', '--class', '--host', '127.0.0.1', '--port', String(port)],
      sandbox.env,
    );
    assert.equal(code, 1);
    assert.match(stderr, new RegExp(`127\\.0\\.0\\.1:${port} is taken: choose another with --host or --port`));
  } finally {
    taken.close();
    sandbox.remove();
  }
});
