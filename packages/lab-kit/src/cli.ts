/**
 * `pnpm lab`: the guided labs from the terminal.
 *
 *   pnpm lab                       the labs, with your progress
 *   pnpm lab start <lab> [--poll]  goal and steps, your server, a re-check on every save
 *   pnpm lab check <lab>           the attacker and the functional checks against your copy
 *   pnpm lab hint <lab>            the next hint (nudge → concept → near-answer)
 *   pnpm lab solution <lab>        the reference fix as a diff, once you have solved the lab
 *   pnpm lab reset <lab>|--all     your copy back to the starter, the lab's progress cleared
 *   pnpm lab doctor                what this machine has and what to do about what it lacks
 *   pnpm lab verify [<lab>…]       for instructors and CI: every lab still teaches what it says
 *   pnpm lab compare               the three modes of the real server, measured side by side
 *
 * `--instructor` (or AUTHLAB_INSTRUCTOR=1) shows every hint and every solution.
 * Exit codes: 0 done (or solved), 1 not solved / a check failed, 2 usage error.
 */
import { cpSync, existsSync, rmSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { createInterface } from 'node:readline';
import { doctor, formatDoctor } from './doctor.ts';
import { findLab, type Lab, labFolders, loadLab, UsageError, variantDir, workDir } from './labs.ts';
import { describeRun, runLab } from './run.ts';
import { folderDiff } from './solution-diff.ts';
import { clearProgress, readProgress, updateProgress } from './state.ts';
import { type RunningLabServer, startLabServer } from './target.ts';
import { verifyLab } from './verify.ts';
import { serialRuns, watchFolder } from './watch.ts';

const out = (text = '') => process.stdout.write(`${text}\n`);
const shown = (path: string) => relative(process.cwd(), path) || '.';
const message = (error: unknown) => (error instanceof Error ? error.message : String(error));
/** `--instructor`, or AUTHLAB_INSTRUCTOR=1: every hint at once, every solution unlocked. */
function instructorMode(args: string[]): boolean {
  const env = process.env.AUTHLAB_INSTRUCTOR;
  return args.includes('--instructor') || env === '1' || env === 'true';
}

/** `08` for `08-refresh-rotation`: what the learner types. */
const labNumber = (lab: Lab) => lab.id.slice(0, 2);

function usage(): string {
  return `Usage: pnpm lab [list|start|check|hint|solution|reset|doctor|verify|compare] [<lab>] [--instructor]
  pnpm lab start 01       begin lab 01: read the goal, edit your copy, watch the checks turn green
  pnpm lab hint 01        one more hint
  pnpm lab doctor         is this laptop ready?`;
}

/** The learner's copy: created from the starter the first time. */
function ensureWorkCopy(lab: Lab): string {
  const dir = workDir(lab);
  if (!existsSync(dir)) cpSync(variantDir(lab, 'starter'), dir, { recursive: true });
  return dir;
}

function list(): number {
  const labs: Lab[] = [];
  const broken: string[] = [];
  for (const dir of labFolders()) {
    try {
      labs.push(loadLab(dir));
    } catch (error) {
      broken.push(`! ${basename(dir)} cannot be loaded: ${(error as Error).message}`);
    }
  }
  const progress = readProgress();
  const rows = labs.map((lab) => {
    const state = progress[lab.id];
    const status = state?.solvedAt ? '✓ solved' : state?.startedAt ? '… started' : '';
    const hints = state?.hintsSeen ? `${state.hintsSeen}/${lab.hints.length} hints` : '';
    return [lab.id, lab.title, lab.mode, `${lab.timeBoxMinutes} min`, status, hints];
  });
  const header = ['lab', 'title', 'mode', 'time', 'progress', ''];
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd();
  out(line(header));
  for (const row of rows) out(line(row));
  for (const problem of broken) out(problem);
  const unsolved = labs.filter((lab) => !progress[lab.id]?.solvedAt);
  out();
  out(
    unsolved[0]
      ? `${labs.length - unsolved.length} of ${labs.length} solved. Start one with: pnpm lab start ${labNumber(unsolved[0])}`
      : `All ${labs.length} labs solved.`,
  );
  return 0;
}

async function check(lab: Lab, args: string[]): Promise<number> {
  const useSolution = args.includes('--solution');
  if (useSolution && !instructorMode(args)) throw new UsageError('--solution is for instructors: add --instructor.');
  const dir = useSolution ? variantDir(lab, 'solution') : ensureWorkCopy(lab);
  out(`Checking ${lab.id} against ${shown(dir)}/ …`);
  const run = await runLab(lab, dir);
  out(describeRun(run));
  if (useSolution) return run.solved ? 0 : 1;
  recordRun(lab, run.solved);
  out(
    run.solved
      ? `\nSolved. pnpm lab solution ${labNumber(lab)} shows the reference fix and the debrief.`
      : `\nNot yet. Stuck? pnpm lab hint ${labNumber(lab)}`,
  );
  return run.solved ? 0 : 1;
}

function recordRun(lab: Lab, solved: boolean): void {
  updateProgress(lab.id, (progress) => ({
    ...progress,
    startedAt: progress.startedAt ?? new Date().toISOString(),
    ...(solved && !progress.solvedAt ? { solvedAt: new Date().toISOString() } : {}),
  }));
}

function hint(lab: Lab, args: string[]): number {
  if (lab.hints.length === 0) {
    out(`${lab.id} has no hints.`);
    return 0;
  }
  if (instructorMode(args)) {
    for (const [index, tier] of lab.hints.entries()) out(`${index + 1}. ${tier.label}\n${tier.text}\n`);
    return 0;
  }
  const progress = updateProgress(lab.id, (state) => ({
    ...state,
    hintsSeen: Math.min(state.hintsSeen + 1, lab.hints.length),
  }));
  const seen = progress?.hintsSeen ?? 1;
  for (const [index, tier] of lab.hints.slice(0, seen).entries()) {
    out(`${index + 1}/${lab.hints.length} ${tier.label}\n${tier.text}\n`);
  }
  let next = `Run \`pnpm lab hint ${labNumber(lab)}\` again for the next hint.`;
  if (seen >= lab.hints.length) {
    next = progress?.solvedAt
      ? `That was the last hint. pnpm lab solution ${labNumber(lab)} shows the reference fix.`
      : 'That was the last hint. The reference fix unlocks once the lab is solved.';
  }
  out(next);
  return 0;
}

function solution(lab: Lab, args: string[]): number {
  const solved = Boolean(readProgress()[lab.id]?.solvedAt);
  if (!solved && !instructorMode(args)) {
    out(`The reference fix for ${lab.id} unlocks once you have solved it: pnpm lab check ${labNumber(lab)}.`);
    out(`Stuck? pnpm lab hint ${labNumber(lab)} gives the next hint.`);
    return 1;
  }
  out(folderDiff(variantDir(lab, 'starter'), variantDir(lab, 'solution'), { from: 'starter', to: 'solution' }));
  const debrief = lab.sections.get('Debrief');
  if (debrief) out(`\n## Debrief\n\n${debrief}`);
  return 0;
}

function reset(args: string[]): number {
  if (args.includes('--all')) {
    // By folder, so that one lab that no longer loads does not keep the others from a reset.
    const folders = labFolders();
    for (const dir of folders) rmSync(workDir({ id: basename(dir), dir }), { recursive: true, force: true });
    clearProgress();
    out(`All ${folders.length} labs are back to their starters and all progress is cleared.`);
    return 0;
  }
  const lab = findLab(requireLabArg(args));
  rmSync(workDir(lab), { recursive: true, force: true });
  updateProgress(lab.id, () => null);
  out(`${lab.id}: your copy is back to the starter and its progress is cleared.`);
  return 0;
}

async function verify(args: string[]): Promise<number> {
  const ids = args.filter((arg) => !arg.startsWith('--'));
  const folders = ids.length > 0 ? ids.map((id) => findLab(id).dir) : labFolders();
  let failed = 0;
  for (const dir of folders) {
    const started = performance.now();
    let lab: Lab;
    try {
      lab = loadLab(dir);
    } catch (error) {
      failed += 1;
      out(`✗ ${basename(dir)}\n    ${(error as Error).message}`);
      continue;
    }
    const verdict = await verifyLab(lab);
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    if (verdict.problems.length === 0) {
      const checks = verdict.solution?.checks ?? [];
      const fix = checks.filter((check) => check.partOfTheFix).length;
      out(
        `✓ ${lab.id}  attack works on starter/ and fails on solution/; ${checks.length} checks pass on solution/` +
          `${fix > 0 ? ` (${fix} of them, part of the fix, fail on starter/)` : ''} (${seconds} s)`,
      );
    } else {
      failed += 1;
      out(`✗ ${lab.id}`);
      for (const problem of verdict.problems) out(`    ${problem}`);
    }
  }
  out(`\n${folders.length - failed} of ${folders.length} labs verified.`);
  return failed === 0 ? 0 : 1;
}

async function start(lab: Lab, args: string[]): Promise<number> {
  const dir = ensureWorkCopy(lab);
  updateProgress(lab.id, (progress) => ({ ...progress, startedAt: progress.startedAt ?? new Date().toISOString() }));
  out(`# ${lab.id}: ${lab.title}  (${lab.timeBoxMinutes} min, ${lab.mode} mode)\n`);
  out(`## Goal\n\n${lab.sections.get('Goal') ?? ''}\n`);
  out(`## Steps\n\n${lab.sections.get('Steps') ?? ''}\n`);
  out(`Your copy: ${shown(dir)}/  (edit it; the checks re-run on every save)`);

  /** The learner's own server, up between rounds so they can poke at it. */
  let server: RunningLabServer | null = null;
  let quitting = false;
  let solvedAnnounced = Boolean(readProgress()[lab.id]?.solvedAt);

  const round = async () => {
    const previous = server;
    server = null;
    await previous?.stop();
    if (quitting) return;
    if (!existsSync(join(dir, 'server.ts'))) {
      out(
        `\n✗ ${shown(dir)}/server.ts is gone (a \`pnpm lab reset\`?). For a fresh copy of the starter: pnpm lab start ${labNumber(lab)}`,
      );
      void quit(1);
      return;
    }
    let started: RunningLabServer;
    try {
      started = await startLabServer(dir);
    } catch (error) {
      out(`\n✗ Your server does not start:\n${message(error)}\nFix it and save: the checks run again then.`);
      return;
    }
    if (quitting) return void (await started.stop());
    server = started;
    out(`\nYour server: ${started.url}`);
    for (const [key, value] of Object.entries(started.info)) out(`  ${key}: ${JSON.stringify(value)}`);
    out('Checking …');
    const run = await runLab(lab, dir);
    if (quitting) return;
    out(describeRun(run));
    recordRun(lab, run.solved);
    if (run.solved && !solvedAnnounced) {
      solvedAnnounced = true;
      out(`\n★ Solved ${lab.id}!\n\n## Debrief\n\n${lab.sections.get('Debrief') ?? ''}`);
      out(`\nThe reference fix: pnpm lab solution ${labNumber(lab)}`);
    } else if (!run.solved) {
      out(`\nNot yet. Stuck? pnpm lab hint ${labNumber(lab)}`);
    }
  };
  const rounds = serialRuns(
    async () => {
      await round();
      if (!quitting) out('[r] re-run  [q] quit');
    },
    (error) => out(`✗ ${message(error)}\n[r] re-run  [q] quit`),
  );

  let finish: (code: number) => void = () => {};
  const finished = new Promise<number>((resolve) => {
    finish = resolve;
  });
  /**
   * Stops watching and stops the learner's server at once; the servers of a round in progress go
   * down with this process (each notices its runner is gone, see target.ts).
   */
  const quit = async (code?: number) => {
    if (quitting) return;
    quitting = true;
    watcher.close();
    keyboard.close();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    const current = server;
    server = null;
    await current?.stop();
    finish(code ?? (readProgress()[lab.id]?.solvedAt ? 0 : 1));
  };
  const onSignal = () => void quit();

  const poll = args.includes('--poll') || process.env.AUTHLAB_LAB_POLL === '1';
  const watcher = watchFolder(dir, rounds.request, { poll });
  if (watcher.kind === 'polling') out('(watching by polling every 0.5 s)');
  const keyboard = listenForKeys({
    rerun: rounds.request,
    quit: () => void quit(),
    // Input ended (a pipe closed, /dev/null): nobody can press q, so finish this round and stop.
    end: () => void rounds.idle().then(() => quit()),
  });
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  rounds.request();
  return finished;
}

/**
 * `r` and `q` from the keyboard: single keys in a terminal (raw mode, where Ctrl-C and Ctrl-D
 * arrive as keys too), whole lines from a pipe.
 */
function listenForKeys(on: { rerun(): void; quit(): void; end(): void }): { close(): void } {
  const { stdin } = process;
  const key = (text: string) => {
    const k = text.trim().toLowerCase();
    if (k === 'r') on.rerun();
    else if (k === 'q' || k === '\u0003' || k === '\u0004') on.quit();
  };
  if (stdin.isTTY) {
    const onData = (chunk: Buffer) => {
      for (const character of chunk.toString('utf8')) key(character);
    };
    stdin.setRawMode(true);
    stdin.on('data', onData);
    return {
      close() {
        stdin.off('data', onData);
        stdin.setRawMode(false);
        stdin.pause();
      },
    };
  }
  const lines = createInterface({ input: stdin });
  lines.on('line', key);
  lines.on('close', on.end);
  return {
    close() {
      lines.off('close', on.end);
      lines.close();
    },
  };
}

async function compare(args: string[]): Promise<number> {
  const module = await import('./compare/command.ts');
  return module.compareCommand(args);
}

function requireLabArg(args: string[]): string {
  const id = args.find((arg) => !arg.startsWith('--'));
  if (!id) throw new UsageError(`Which lab? For example: pnpm lab start 01\n\n${usage()}`);
  return id;
}

/** The options each command takes besides `--instructor` (compare reads its own). */
const OPTIONS: Record<string, string[]> = {
  list: [],
  start: ['--poll'],
  check: ['--solution'],
  hint: [],
  solution: [],
  reset: ['--all'],
  doctor: [],
  verify: [],
};

function refuseUnknownOptions(command: string, args: string[]): void {
  const known = OPTIONS[command];
  if (!known) return;
  const unknown = args.find((arg) => arg.startsWith('-') && arg !== '--instructor' && !known.includes(arg));
  if (unknown) {
    const takes = [...known, '--instructor'].join(', ');
    throw new UsageError(`pnpm lab ${command} does not know the option "${unknown}"; it takes ${takes}.\n\n${usage()}`);
  }
}

export async function main(argv: string[]): Promise<number> {
  const [command = 'list', ...args] = argv;
  refuseUnknownOptions(command, args);
  switch (command) {
    case 'list':
      return list();
    case 'start':
      return start(findLab(requireLabArg(args)), args);
    case 'check':
      return check(findLab(requireLabArg(args)), args);
    case 'hint':
      return hint(findLab(requireLabArg(args)), args);
    case 'solution':
      return solution(findLab(requireLabArg(args)), args);
    case 'reset':
      return reset(args);
    case 'doctor': {
      const items = await doctor();
      out(formatDoctor(items));
      const failing = items.filter((item) => !item.ok && !item.optional);
      out(failing.length === 0 ? '\nReady for the labs.' : `\n${failing.length} thing(s) to fix before the workshop.`);
      return failing.length === 0 ? 0 : 1;
    }
    case 'verify':
      return verify(args);
    case 'compare':
      return compare(args);
    case 'help':
    case '--help':
    case '-h':
      out(usage());
      return 0;
    default:
      throw new UsageError(`Unknown command "${command}".\n\n${usage()}`);
  }
}

if (import.meta.main) {
  process.chdir(process.env.INIT_CWD ?? process.cwd());
  main(process.argv.slice(2).filter((arg) => arg !== '--'))
    .then((code) => process.exit(code))
    .catch((error) => {
      if (error instanceof UsageError) {
        process.stderr.write(`${error.message}\n`);
        process.exit(2);
      }
      const detail = process.env.AUTHLAB_DEBUG ? (error as Error).stack : (error as Error).message;
      process.stderr.write(`pnpm lab: ${detail ?? error}\n`);
      process.exit(1);
    });
}
