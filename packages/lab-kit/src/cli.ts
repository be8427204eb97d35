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
import { basename, relative } from 'node:path';
import { createInterface } from 'node:readline';
import { doctor, formatDoctor } from './doctor.ts';
import { findLab, type Lab, labFolders, listLabs, loadLab, UsageError, variantDir, workDir } from './labs.ts';
import { describeRun, runLab } from './run.ts';
import { folderDiff } from './solution-diff.ts';
import { clearProgress, instructorMode, readProgress, updateProgress } from './state.ts';
import { type RunningLabServer, startLabServer } from './target.ts';
import { verifyLab } from './verify.ts';
import { watchFolder } from './watch.ts';

const out = (text = '') => process.stdout.write(`${text}\n`);
const shown = (path: string) => relative(process.cwd(), path) || '.';

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
  const solved = labs.filter((lab) => progress[lab.id]?.solvedAt).length;
  out();
  out(
    `${solved} of ${labs.length} solved. Start one with: pnpm lab start ${labs.find((lab) => !progress[lab.id]?.solvedAt)?.id.slice(0, 2) ?? '01'}`,
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
  if (!useSolution) recordRun(lab, run.solved);
  out(run.solved ? `\nSolved. Read the debrief: pnpm lab solution ${lab.id.slice(0, 2)} shows the reference fix.` : '');
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
  out(
    seen < lab.hints.length
      ? `Run \`pnpm lab hint ${lab.id.slice(0, 2)}\` again for the next hint.`
      : 'That was the last hint. The reference fix unlocks once the lab is solved.',
  );
  return 0;
}

function solution(lab: Lab, args: string[]): number {
  const solved = Boolean(readProgress()[lab.id]?.solvedAt);
  if (!solved && !instructorMode(args)) {
    out(`The reference fix for ${lab.id} unlocks once you have solved it: pnpm lab check ${lab.id.slice(0, 2)}.`);
    out(`Stuck? pnpm lab hint ${lab.id.slice(0, 2)} gives the next hint.`);
    return 1;
  }
  out(folderDiff(variantDir(lab, 'starter'), variantDir(lab, 'solution'), { from: 'starter', to: 'solution' }));
  const debrief = lab.sections.get('Debrief');
  if (debrief) out(`\n## Debrief\n\n${debrief}`);
  return 0;
}

function reset(args: string[]): number {
  const labs = args.includes('--all') ? listLabs() : [findLab(requireLabArg(args))];
  for (const lab of labs) {
    rmSync(workDir(lab), { recursive: true, force: true });
    updateProgress(lab.id, () => null);
  }
  if (args.includes('--all')) clearProgress();
  out(
    labs.length === 1
      ? `${labs[0]?.id}: your copy is back to the starter and its progress is cleared.`
      : `All ${labs.length} labs are back to their starters and all progress is cleared.`,
  );
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

  let server: RunningLabServer | null = null;
  let running: Promise<void> = Promise.resolve();
  let again = false;
  let solvedAnnounced = Boolean(readProgress()[lab.id]?.solvedAt);

  const round = async () => {
    if (server) await server.stop();
    server = null;
    try {
      server = await startLabServer(dir);
      out(`\nYour server: ${server.url}`);
      for (const [key, value] of Object.entries(server.info)) out(`  ${key}: ${JSON.stringify(value)}`);
    } catch (error) {
      out(`\n✗ Your server does not start:\n${(error as Error).message}`);
      return;
    }
    out('Checking …');
    const run = await runLab(lab, dir);
    out(describeRun(run));
    recordRun(lab, run.solved);
    if (run.solved && !solvedAnnounced) {
      solvedAnnounced = true;
      out(`\n★ Solved ${lab.id}!\n\n## Debrief\n\n${lab.sections.get('Debrief') ?? ''}`);
      out(`\nThe reference fix: pnpm lab solution ${lab.id.slice(0, 2)}`);
    } else if (!run.solved) {
      out(`\nNot yet. Stuck? pnpm lab hint ${lab.id.slice(0, 2)}`);
    }
  };
  // One round at a time; saves during a round queue exactly one more.
  const rerun = () => {
    if (again) return;
    again = true;
    running = running.then(async () => {
      again = false;
      await round().catch((error) => out(`✗ ${(error as Error).message}`));
      out('[r] re-run  [q] quit');
    });
  };

  rerun();
  if (args.includes('--once')) {
    await running;
    await (server as RunningLabServer | null)?.stop();
    return readProgress()[lab.id]?.solvedAt ? 0 : 1;
  }
  const poll = args.includes('--poll') || process.env.AUTHLAB_LAB_POLL === '1';
  const watcher = watchFolder(dir, rerun, { poll });
  if (watcher.kind === 'polling') out('(watching by polling every 0.5 s)');

  return new Promise<number>((resolve) => {
    const quit = async () => {
      watcher.close();
      input.close();
      await running;
      await (server as RunningLabServer | null)?.stop();
      resolve(readProgress()[lab.id]?.solvedAt ? 0 : 1);
    };
    const onKey = (key: string) => {
      const k = key.trim().toLowerCase();
      if (k === 'r') rerun();
      if (k === 'q' || key === '\u0003') void quit();
    };
    const input = createInterface({ input: process.stdin });
    if (process.stdin.isTTY) {
      process.stdin.setRawMode(true);
      process.stdin.on('data', (chunk) => onKey(chunk.toString()));
    } else {
      input.on('line', onKey);
    }
    input.on('close', () => {
      if (!process.stdin.isTTY) void quit();
    });
    process.once('SIGINT', () => void quit());
    process.once('SIGTERM', () => void quit());
  });
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

export async function main(argv: string[]): Promise<number> {
  const [command = 'list', ...args] = argv;
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
