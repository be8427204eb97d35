/**
 * The runner as a participant uses it: each test runs `pnpm lab …` (the CLI file) in a child
 * process with its own progress file and working copies, against lab 01.
 */
import assert from 'node:assert/strict';
import { copyFileSync, cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { rememberInstructorCode } from '../src/instructor-gate.ts';
import { writePrivateFile } from '../src/lab-home.ts';
import { listLabs, REPO_ROOT } from '../src/labs.ts';
import { labSandbox, runLabCli, startLabCli } from './support/cli.ts';

const LAB = join(REPO_ROOT, 'labs/01-password-storage');
const progress = (file: string) => JSON.parse(readFileSync(file, 'utf8'));

/** Resolves once `url` refuses connections; fails if it still answers after many tries. */
async function stopsAnswering(url: string): Promise<void> {
  for (let tries = 0; tries < 300; tries++) {
    try {
      await (await fetch(url)).text();
    } catch {
      return;
    }
    await sleep(100);
  }
  assert.fail(`${url} still answers`);
}

describe('pnpm lab (list, hint, solution, check, reset)', () => {
  const sandbox = labSandbox();
  after(() => sandbox.remove());
  const work = () => join(sandbox.workspace, '01-password-storage');
  // As `pnpm lab board --class` leaves it on the instructor's laptop (instructor-unlock.test.ts).
  const INSTRUCTOR_CODE = 'QRST-VWXY-Z012-3456-789A';
  rememberInstructorCode(INSTRUCTOR_CODE, join(sandbox.env.AUTHLAB_HOME as string, 'labs', 'instructor-code'));
  const asInstructor = { ...sandbox.env, AUTHLAB_INSTRUCTOR_CODE: INSTRUCTOR_CODE };

  test('lists every lab with its time box and no progress yet', async () => {
    const { code, stdout } = await runLabCli([], sandbox.env);
    assert.equal(code, 0);
    for (const lab of listLabs()) {
      assert.match(stdout, new RegExp(`${lab.id}\\s.*${lab.timeBoxMinutes} min`));
    }
    assert.match(stdout, new RegExp(`0 of ${listLabs().length} solved`));
  });

  test('an unknown lab is a usage error that lists the labs', async () => {
    const { code, stderr } = await runLabCli(['start', '99'], sandbox.env);
    assert.equal(code, 2);
    assert.match(stderr, /There is no lab "99"/);
    assert.match(stderr, /01-password-storage/);
  });

  test('an option the command does not take is a usage error that names the ones it does', async () => {
    const { code, stderr } = await runLabCli(['start', '01', '--pol'], sandbox.env);
    assert.equal(code, 2);
    assert.match(stderr, /pnpm lab start does not know the option "--pol"; it takes --poll, --instructor/);
    assert.equal(existsSync(work()), false, 'nothing was started or copied');
  });

  test('hints come one tier at a time and are remembered', async () => {
    const first = await runLabCli(['hint', '01'], sandbox.env);
    assert.match(first.stdout, /1\/3 Nudge/);
    assert.doesNotMatch(first.stdout, /Concept/);
    const second = await runLabCli(['hint', '01'], sandbox.env);
    assert.match(second.stdout, /1\/3 Nudge[\s\S]*2\/3 Concept/);
    assert.doesNotMatch(second.stdout, /Near-answer/);
    assert.equal(progress(sandbox.stateFile)['01-password-storage'].hintsSeen, 2);
  });

  test('instructor mode shows every hint without counting them', async () => {
    const { stdout } = await runLabCli(['hint', '01', '--instructor'], asInstructor);
    assert.match(stdout, /Nudge[\s\S]*Concept[\s\S]*Near-answer/);
    assert.equal(progress(sandbox.stateFile)['01-password-storage'].hintsSeen, 2);
  });

  test('the solution stays locked until the lab is solved', async () => {
    const { code, stdout } = await runLabCli(['solution', '01'], sandbox.env);
    assert.equal(code, 1);
    assert.match(stdout, /unlocks once you have solved it/);
    assert.doesNotMatch(stdout, /\+\+\+ solution/);
  });

  test('instructor mode shows the solution as a diff with the debrief', async () => {
    const { code, stdout } = await runLabCli(['solution', '01', '--instructor'], asInstructor);
    assert.equal(code, 0);
    assert.match(stdout, /--- starter\/server\.ts\n\+\+\+ solution\/server\.ts/);
    assert.match(stdout, /^\+.*PasswordHasher/m);
    assert.match(stdout, /^-.*createHash\('sha256'\)/m);
    assert.match(stdout, /## Debrief/);
  });

  test('check on the untouched starter says what still falls and why, and exits 1', async () => {
    const { code, stdout } = await runLabCli(['check', '01'], sandbox.env);
    assert.equal(code, 1);
    assert.ok(existsSync(join(work(), 'server.ts')), 'the starter was copied to the working copy');
    assert.match(stdout, /✗ The attack still works: crack alice's password/);
    assert.match(stdout, /What the attacker got: "dragonfly-7" after \d+ guesses/);
    assert.match(stdout, /Why: a fast, unsalted hash/);
    assert.match(stdout, /✓ alice signs in with her password/);
    assert.match(stdout, /✗ bob's bcrypt hash is replaced/);
    assert.match(stdout, /Not yet\. Stuck\? pnpm lab hint 01/);
    assert.equal(progress(sandbox.stateFile)['01-password-storage'].solvedAt, undefined);
  });

  test('check on a fixed working copy reports solved, records it and unlocks the solution', async () => {
    copyFileSync(join(LAB, 'solution/server.ts'), join(work(), 'server.ts'));
    const { code, stdout } = await runLabCli(['check', '01'], sandbox.env);
    assert.equal(code, 0, stdout);
    assert.match(stdout, /✓ The attack is stopped: only \d+ guesses fit in 3 s/);
    assert.match(stdout, /Solved\./);
    assert.ok(progress(sandbox.stateFile)['01-password-storage'].solvedAt);
    const listed = await runLabCli([], sandbox.env);
    assert.match(listed.stdout, /01-password-storage .*✓ solved/);
    const board = JSON.parse((await runLabCli(['board', '--json'], sandbox.env)).stdout);
    assert.equal(board[0].state, 'solved', 'a solve the runner verified shows as solved on the board');
    assert.equal(board[0].solvedAt, progress(sandbox.stateFile)['01-password-storage'].solvedAt);
    const solution = await runLabCli(['solution', '01'], sandbox.env);
    assert.equal(solution.code, 0);
    assert.match(solution.stdout, /\+\+\+ solution\/server\.ts/);
  });

  test('reset puts the starter back and clears the progress', async () => {
    const { code, stdout } = await runLabCli(['reset', '01'], sandbox.env);
    assert.equal(code, 0);
    assert.match(stdout, /back to the starter/);
    assert.equal(existsSync(work()), false);
    assert.equal(progress(sandbox.stateFile)['01-password-storage'], undefined);
    const locked = await runLabCli(['solution', '01'], sandbox.env);
    assert.equal(locked.code, 1);
  });

  test('reset --all clears every working copy and all progress', async () => {
    cpSync(join(REPO_ROOT, 'labs/02-login-limits/starter'), join(sandbox.workspace, '02-login-limits'), {
      recursive: true,
    });
    await runLabCli(['hint', '02'], sandbox.env);
    await runLabCli(['hint', '01'], sandbox.env);
    assert.deepEqual(Object.keys(progress(sandbox.stateFile)).sort(), ['01-password-storage', '02-login-limits']);

    const { code, stdout } = await runLabCli(['reset', '--all'], sandbox.env);
    assert.equal(code, 0);
    assert.match(stdout, new RegExp(`All ${listLabs().length} labs are back to their starters`));
    assert.equal(existsSync(join(sandbox.workspace, '02-login-limits')), false);
    assert.deepEqual(progress(sandbox.stateFile), {});
  });
});

describe('pnpm lab --instructor with a damaged instructor-code file', () => {
  const sandbox = labSandbox();
  after(() => sandbox.remove());

  test('is refused with the file to delete and how to make it again, not a JSON parse error', async () => {
    writePrivateFile(join(sandbox.env.AUTHLAB_HOME as string, 'labs', 'instructor-code'), '{"scheme":');
    const env = { ...sandbox.env, AUTHLAB_INSTRUCTOR_CODE: 'QRST-VWXY-Z012-3456-789A' };
    const { code, stdout, stderr } = await runLabCli(['hint', '01', '--instructor'], env);
    assert.equal(code, 1);
    assert.match(
      stderr,
      /Instructor mode refused: .*instructor-code is damaged: delete it and start the class board again/,
    );
    assert.doesNotMatch(stderr, /JSON/);
    assert.doesNotMatch(stdout, /Hint/);
  });
});

describe('pnpm lab start', () => {
  for (const poll of [false, true]) {
    test(`re-checks when the learner saves a fix (${poll ? 'polling' : 'file events'}), and q quits`, async () => {
      const sandbox = labSandbox();
      try {
        const cli = startLabCli(['start', '01', ...(poll ? ['--poll'] : [])], sandbox.env);
        await cli.waitFor(/Not yet\. Stuck\? pnpm lab hint 01/);
        const output = cli.output();
        assert.match(output, /## Goal\n\nThe users table has leaked/);
        assert.match(output, /Your server: http:\/\/127\.0\.0\.1:\d+/);
        assert.match(output, /✗ The attack still works/);
        if (poll) assert.match(output, /watching by polling/);

        // The learner's server is up and answers while they work.
        const url = /Your server: (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1] as string;
        const health = await fetch(`${url}/__lab/health`);
        assert.equal(health.status, 200);

        const mark = cli.output().length;
        writeFileSync(
          join(sandbox.workspace, '01-password-storage/server.ts'),
          readFileSync(join(LAB, 'solution/server.ts')),
        );
        await cli.waitFor(/★ Solved 01-password-storage!/, mark);
        assert.match(cli.output().slice(mark), /## Debrief/);

        cli.child.stdin.write('q\n');
        assert.equal(await cli.exited, 0);
        await assert.rejects(fetch(`${url}/__lab/health`), 'the learner server stops with the runner');
      } finally {
        sandbox.remove();
      }
    });
  }

  test('a working copy that does not start is reported, fixing it recovers, and r re-runs', async () => {
    const sandbox = labSandbox();
    try {
      cpSync(join(LAB, 'starter'), join(sandbox.workspace, '01-password-storage'), { recursive: true });
      writeFileSync(join(sandbox.workspace, '01-password-storage/server.ts'), 'export default 42;\n');
      const cli = startLabCli(['start', '01'], sandbox.env);
      await cli.waitFor(/✗ Your server does not start:[\s\S]*must `export default labServer[\s\S]*Fix it and save/);
      let mark = cli.output().length;
      copyFileSync(join(LAB, 'starter/server.ts'), join(sandbox.workspace, '01-password-storage/server.ts'));
      await cli.waitFor(/Not yet\.[\s\S]*\[r\] re-run/, mark);
      mark = cli.output().length;
      cli.child.stdin.write('r\n');
      await cli.waitFor(/Your server: [\s\S]*✗ The attack still works[\s\S]*\[r\] re-run/, mark);
      cli.child.stdin.write('q\n');
      assert.equal(await cli.exited, 1, 'quitting an unsolved lab exits 1');
    } finally {
      sandbox.remove();
    }
  });

  // Lab 08 from here on: its rounds are the quickest.
  test('a round checks one snapshot however the copy changes meanwhile, and the server keeps its port', async () => {
    const sandbox = labSandbox();
    try {
      const cli = startLabCli(['start', '08'], sandbox.env);
      await cli.waitFor(/Checking …/);
      // Saved while the first round runs: that round still checks the starter it started with.
      const lab08 = join(REPO_ROOT, 'labs/08-refresh-rotation');
      writeFileSync(
        join(sandbox.workspace, '08-refresh-rotation/server.ts'),
        readFileSync(join(lab08, 'solution/server.ts')),
      );
      await cli.waitFor(/Not yet\./);
      const first = cli.output();
      assert.match(first, /✗ The attack still works/);
      assert.doesNotMatch(first, /✓ The attack is stopped/);
      cli.child.stdin.write('r\n'); // in case the save's file event came before the watcher
      await cli.waitFor(/★ Solved 08-refresh-rotation!/, first.length);
      const addresses = new Set([...cli.output().matchAll(/Your server: (\S+)/g)].map((match) => match[1]));
      assert.equal(addresses.size, 1, `one address across rounds, not ${[...addresses].join(', ')}`);
      cli.child.stdin.write('q\n');
      assert.equal(await cli.exited, 0);
    } finally {
      sandbox.remove();
    }
  });

  test('a runner killed outright takes the learner server down with it', async () => {
    const sandbox = labSandbox();
    try {
      const cli = startLabCli(['start', '08'], sandbox.env);
      await cli.waitFor(/\[r\] re-run/);
      const url = /Your server: (http:\/\/127\.0\.0\.1:\d+)/.exec(cli.output())?.[1] as string;
      assert.equal((await fetch(`${url}/__lab/health`)).status, 200);
      cli.child.kill('SIGKILL');
      await cli.exited;
      await stopsAnswering(`${url}/__lab/health`);
    } finally {
      sandbox.remove();
    }
  });

  test('a working copy removed while it runs (a reset elsewhere) is reported, and the runner stops', async () => {
    const sandbox = labSandbox();
    try {
      const cli = startLabCli(['start', '08'], sandbox.env);
      await cli.waitFor(/\[r\] re-run/);
      rmSync(join(sandbox.workspace, '08-refresh-rotation'), { recursive: true });
      cli.child.stdin.write('r\n'); // in case the file event for the removal is not delivered
      await cli.waitFor(
        /server\.ts is gone \(a `pnpm lab reset`\?\)\. For a fresh copy of the starter: pnpm lab start 08/,
      );
      assert.equal(await cli.exited, 1);
    } finally {
      sandbox.remove();
    }
  });
});

describe('pnpm lab doctor', () => {
  test('reports each component with what to do, and fails on a broken labs folder', async () => {
    const sandbox = labSandbox({ AUTHLAB_LABS_DIR: join(REPO_ROOT, 'labs/.work-nothing-here') });
    try {
      const { code, stdout } = await runLabCli(['doctor'], sandbox.env);
      assert.equal(code, 1);
      assert.match(stdout, new RegExp(`✓ Node\\.js\\s+${process.versions.node.replaceAll('.', '\\.')}`));
      const pinned = readFileSync(join(REPO_ROOT, '.node-version'), 'utf8').trim();
      assert.ok(stdout.includes(pinned === process.versions.node ? '(the pinned version)' : `(CI pins ${pinned})`));
      assert.match(stdout, /Loopback port\s+127\.0\.0\.1:\d+ can be opened/);
      assert.match(stdout, /(✓ Chromium\s+.* at \/|✗ Chromium\s+not found; .* need it\n.*→ apt-get install chromium)/);
      assert.match(stdout, /✗ Labs.*\n.*→ restore the lab folder/);
    } finally {
      sandbox.remove();
    }
  });
});
