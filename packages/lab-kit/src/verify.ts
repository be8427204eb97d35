/**
 * `pnpm lab verify`: proves that no lab has drifted from its code. For each lab: the README has
 * its sections and three hint tiers, the starter marks its weakness, the attacker succeeds
 * against `starter/` and fails against `solution/`; the functional checks pass on both (a fix
 * that breaks the app is no fix; a starter that does not run teaches nothing), except the checks
 * that are part of the fix, which must fail on the starter (so they are proven able to fail).
 * And every wrong fix in `cheats/` (at least three) leaves the lab unsolved (see cheats.ts).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CheatVerdict, listCheats, verifyCheat } from './cheats.ts';
import { type Lab, REQUIRED_SECTIONS, variantDir } from './labs.ts';
import { inParallel, type LabRun, PARALLEL_SERVERS, runLab } from './run.ts';

/** Wrong fixes each lab must prove it refuses: a lab tested only against its starter is not. */
export const MIN_CHEATS = 3;

export interface LabVerdict {
  lab: Lab;
  problems: string[];
  starter?: LabRun;
  solution?: LabRun;
  cheats: CheatVerdict[];
}

function structureProblems(lab: Lab): string[] {
  const problems: string[] = [];
  for (const section of REQUIRED_SECTIONS) {
    if (!lab.sections.get(section)) problems.push(`README.md has no "## ${section}" section`);
  }
  if (lab.hints.length < 3)
    problems.push(`README.md has ${lab.hints.length} hint tiers; it needs 3 (nudge, concept, near-answer)`);
  for (const folder of ['starter', 'solution']) {
    if (!existsSync(join(lab.dir, folder, 'server.ts'))) problems.push(`${folder}/server.ts is missing`);
  }
  for (const file of ['attack/attack.ts', 'check/check.ts']) {
    if (!existsSync(join(lab.dir, file))) problems.push(`${file} is missing`);
  }
  const starter = join(lab.dir, 'starter');
  if (existsSync(starter)) {
    const marked = readdirSync(starter, { recursive: true, encoding: 'utf8' }).some(
      (file) => file.endsWith('.ts') && readFileSync(join(starter, file), 'utf8').includes('WEAKNESS'),
    );
    if (!marked) problems.push('starter/ does not mark its weakness with a "WEAKNESS" comment');
  }
  return problems;
}

function runProblems(variant: 'starter' | 'solution', run: LabRun): string[] {
  const problems: string[] = [];
  const { outcome } = run;
  if ('error' in outcome) problems.push(`${variant}: the attack did not run to the end: ${outcome.error}`);
  else if (variant === 'starter' && !outcome.succeeded) {
    problems.push(`starter: the attack should succeed but was blocked: ${outcome.evidence}`);
  } else if (variant === 'solution' && outcome.succeeded) {
    problems.push(`solution: the attack should fail but worked: ${outcome.evidence}`);
  }
  for (const check of run.checks) {
    if (variant === 'starter' && check.partOfTheFix) {
      if (check.ok) problems.push(`starter: check "${check.name}" is part of the fix but already passes`);
    } else if (!check.ok) {
      problems.push(`${variant}: check "${check.name}" failed: ${check.detail}`);
    }
  }
  return problems;
}

export async function verifyLab(lab: Lab): Promise<LabVerdict> {
  const problems = structureProblems(lab);
  if (problems.some((problem) => problem.endsWith('is missing'))) return { lab, problems, cheats: [] };
  const starter = await runLab(lab, variantDir(lab, 'starter'));
  const solution = await runLab(lab, variantDir(lab, 'solution'));
  problems.push(...runProblems('starter', starter), ...runProblems('solution', solution));
  const cheats = await verifyCheats(lab);
  if (cheats.length < MIN_CHEATS) {
    problems.push(`cheats/ has ${cheats.length} wrong fixes; it needs at least ${MIN_CHEATS} (see labs/README.md)`);
  }
  for (const verdict of cheats) {
    if (verdict.problem) problems.push(`cheat "${verdict.cheat.name}" ${verdict.problem}`);
  }
  return { lab, problems, starter, solution, cheats };
}

/** Every cheat of the lab (one server each, normally), a few at a time. */
export function verifyCheats(lab: Lab): Promise<CheatVerdict[]> {
  return inParallel(
    listCheats(lab).map((file) => () => verifyCheat(lab, file)),
    PARALLEL_SERVERS,
  );
}
