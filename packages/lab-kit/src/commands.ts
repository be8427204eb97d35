/**
 * The commands of `pnpm lab` other than `start` (start.ts), and the helpers they share with it.
 */
import { cpSync, existsSync, rmSync } from 'node:fs';
import { basename, relative } from 'node:path';
import { boardRows, serveBoard } from './board.ts';
import { reportToClass } from './class/participant.ts';
import { doctor, formatDoctor } from './doctor.ts';
import { findLab, type Lab, labFolders, loadLab, UsageError, variantDir, workDir } from './labs.ts';
import { checkRound, describeChanged, takeSnapshot } from './round.ts';
import { describeRun, runLab } from './run.ts';
import { folderDiff } from './solution-diff.ts';
import { hashWorkFiles, labStatus, signSolve, solveKey } from './solve-proof.ts';
import { clearProgress, isSolved, readProgress, updateProgress } from './state.ts';
import { verifyCheats, verifyLab } from './verify.ts';
import { workshopItems } from './workshop-doctor.ts';

export const out = (text = '') => process.stdout.write(`${text}\n`);
export const shown = (path: string) => relative(process.cwd(), path) || '.';

/** `08` for `08-refresh-rotation`: what the learner types. */
export const labNumber = (lab: Lab) => lab.id.slice(0, 2);

/** The learner's copy: created from the starter the first time. */
export function ensureWorkCopy(lab: Lab): string {
  const dir = workDir(lab);
  if (!existsSync(dir)) cpSync(variantDir(lab, 'starter'), dir, { recursive: true });
  return dir;
}

export function list(): number {
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
  const key = solveKey();
  const statuses = new Map(labs.map((lab) => [lab.id, labStatus(key, lab.id, progress[lab.id])]));
  const shownStatus = { solved: '✓ solved', started: '… started', tampered: '! tampered', 'not started': '' };
  const rows = labs.map((lab) => {
    const state = progress[lab.id];
    const status = shownStatus[statuses.get(lab.id) ?? 'not started'];
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
  const unsolved = labs.filter((lab) => statuses.get(lab.id) !== 'solved');
  out();
  out(
    unsolved[0]
      ? `${labs.length - unsolved.length} of ${labs.length} solved. Start one with: pnpm lab start ${labNumber(unsolved[0])}`
      : `All ${labs.length} labs solved.`,
  );
  return 0;
}

export async function check(lab: Lab, options: { solution: boolean; instructor: boolean }): Promise<number> {
  const useSolution = options.solution;
  if (useSolution && !options.instructor) throw new UsageError('--solution is for instructors: add --instructor.');
  const dir = useSolution ? variantDir(lab, 'solution') : ensureWorkCopy(lab);
  out(`Checking ${lab.id} against ${shown(dir)}/ …`);
  if (useSolution) {
    const run = await runLab(lab, dir);
    out(describeRun(run));
    return run.solved ? 0 : 1;
  }
  const snapshot = takeSnapshot(lab, dir);
  const workHash = hashWorkFiles(snapshot.dir);
  const { run, changed, solved } = await checkRound(lab, snapshot).finally(snapshot.remove);
  out(describeRun(run));
  if (changed.length > 0) out(describeChanged(changed));
  // The class board shows this hash for a solve: the instructor can compare it with this line.
  out(`(files checked: ${workHash.slice(0, 12)})`);
  recordRun(lab, solved, workHash);
  await reportToClass([lab.id]);
  out(
    solved
      ? `\nSolved. pnpm lab solution ${labNumber(lab)} shows the reference fix and the debrief.`
      : `\nNot yet. Stuck? pnpm lab hint ${labNumber(lab)}`,
  );
  return solved ? 0 : 1;
}

/**
 * Records a round: the lab is started, and when the round solved it (and no genuine solve is
 * recorded yet), the solve with its proof over `workHash`, the hash of the files just verified.
 * A `solvedAt` without a valid proof (typed into the file) is replaced by the genuine one.
 */
export function recordRun(lab: Lab, solved: boolean, workHash: string): void {
  const key = solveKey();
  updateProgress(lab.id, (progress) => {
    const started = { ...progress, startedAt: progress.startedAt ?? new Date().toISOString() };
    if (!solved || labStatus(key, lab.id, progress) === 'solved') return started;
    const solvedAt = new Date().toISOString();
    return { ...started, solvedAt, proof: signSolve(key, lab.id, solvedAt, workHash) };
  });
}

export async function hint(lab: Lab, options: { instructor: boolean }): Promise<number> {
  if (lab.hints.length === 0) {
    out(`${lab.id} has no hints.`);
    return 0;
  }
  if (options.instructor) {
    for (const [index, tier] of lab.hints.entries()) out(`${index + 1}. ${tier.label}\n${tier.text}\n`);
    return 0;
  }
  const progress = updateProgress(lab.id, (state) => ({
    ...state,
    hintsSeen: Math.min(state.hintsSeen + 1, lab.hints.length),
  }));
  await reportToClass([lab.id]);
  const seen = progress?.hintsSeen ?? 1;
  for (const [index, tier] of lab.hints.slice(0, seen).entries()) {
    out(`${index + 1}/${lab.hints.length} ${tier.label}\n${tier.text}\n`);
  }
  let next = `Run \`pnpm lab hint ${labNumber(lab)}\` again for the next hint.`;
  if (seen >= lab.hints.length) {
    next = isSolved(lab.id)
      ? `That was the last hint. pnpm lab solution ${labNumber(lab)} shows the reference fix.`
      : 'That was the last hint. The reference fix unlocks once the lab is solved.';
  }
  out(next);
  return 0;
}

export function solution(lab: Lab, options: { instructor: boolean }): number {
  const solved = isSolved(lab.id);
  if (!solved && !options.instructor) {
    out(`The reference fix for ${lab.id} unlocks once you have solved it: pnpm lab check ${labNumber(lab)}.`);
    out(`Stuck? pnpm lab hint ${labNumber(lab)} gives the next hint.`);
    return 1;
  }
  out(folderDiff(variantDir(lab, 'starter'), variantDir(lab, 'solution'), { from: 'starter', to: 'solution' }));
  const debrief = lab.sections.get('Debrief');
  if (debrief) out(`\n## Debrief\n\n${debrief}`);
  return 0;
}

export async function resetAll(): Promise<number> {
  // By folder, so that one lab that no longer loads does not keep the others from a reset.
  const folders = labFolders();
  for (const dir of folders) rmSync(workDir({ id: basename(dir), dir }), { recursive: true, force: true });
  clearProgress();
  await reportToClass();
  out(`All ${folders.length} labs are back to their starters and all progress is cleared.`);
  return 0;
}

export async function resetLab(lab: Lab): Promise<number> {
  rmSync(workDir(lab), { recursive: true, force: true });
  updateProgress(lab.id, () => null);
  await reportToClass([lab.id]);
  out(`${lab.id}: your copy is back to the starter and its progress is cleared.`);
  return 0;
}

/** The labs named by `ids`, or all of them. */
const firstLine = (text: string, max = 160) => {
  const line = text.split('\n')[0] ?? '';
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
};

/** Every wrong fix of the lab, alone: what an author runs while writing one. */
async function verifyCheatsOnly(lab: Lab): Promise<boolean> {
  const verdicts = await verifyCheats(lab);
  for (const { cheat, open, problem } of verdicts) {
    out(problem ? `    ✗ cheat ${cheat.name} ${problem}` : `    ✓ cheat ${cheat.name}: ${firstLine(open ?? '')}`);
  }
  return verdicts.every((verdict) => !verdict.problem);
}

export async function verify(ids: string[], options: { cheatsOnly?: boolean } = {}): Promise<number> {
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
    if (options.cheatsOnly) {
      out(lab.id);
      if (!(await verifyCheatsOnly(lab))) failed += 1;
      continue;
    }
    const verdict = await verifyLab(lab);
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    if (verdict.problems.length === 0) {
      const checks = verdict.solution?.checks ?? [];
      const fix = checks.filter((check) => check.partOfTheFix).length;
      out(
        `✓ ${lab.id}  attack works on starter/ and fails on solution/; ${checks.length} checks pass on solution/` +
          `${fix > 0 ? ` (${fix} of them, part of the fix, fail on starter/)` : ''}; ` +
          `${verdict.cheats.length} wrong fixes stay unsolved (${seconds} s)`,
      );
      for (const { cheat, open } of verdict.cheats) out(`    ✓ cheat ${cheat.name}: ${firstLine(open ?? '')}`);
    } else {
      failed += 1;
      out(`✗ ${lab.id}`);
      for (const problem of verdict.problems) out(`    ${problem}`);
    }
  }
  out(`\n${folders.length - failed} of ${folders.length} labs verified.`);
  return failed === 0 ? 0 : 1;
}

export async function doctorCommand(options: { workshop?: boolean } = {}): Promise<number> {
  const progress = (line: string) => process.stderr.write(`${line}\n`);
  const items = [...(await doctor()), ...(options.workshop ? await workshopItems({ report: progress }) : [])];
  out(formatDoctor(items));
  const failing = items.filter((item) => !item.ok && !item.optional);
  const ready = options.workshop ? 'Ready for the workshop.' : 'Ready for the labs.';
  out(failing.length === 0 ? `\n${ready}` : `\n${failing.length} thing(s) to fix before the workshop.`);
  return failing.length === 0 ? 0 : 1;
}

/** `pnpm lab board`: the board as JSON, or on a local page until Ctrl-C. */
export async function board(options: { json: boolean }): Promise<number> {
  if (options.json) {
    out(JSON.stringify(boardRows(), null, 2));
    return 0;
  }
  const served = await serveBoard();
  out(`The lab board: ${served.url}  (refreshes itself; Ctrl-C stops it)`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  served.close();
  return 0;
}
