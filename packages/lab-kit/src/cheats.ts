/**
 * Wrong fixes a participant plausibly writes, kept beside each lab in `cheats/<name>.patch`, and
 * proof that the lab does not mark them solved. A cheat is a unified diff against `starter/` or
 * `solution/` (the folder named in its file headers), preceded by two lines:
 *
 *   Wrong because: a salt, but SHA-256 is still fast: a GPU tries billions of guesses a second.
 *   Caught by: check "argon2id at OWASP's cost"
 *
 * `Caught by:` names what must still be open: `attack` (the attack keeps working) or
 * `check "<part of a check's name>"` (that check fails). Only that one task is run, on one
 * server, which keeps `pnpm lab verify` fast; when it does not catch the cheat, the whole lab is
 * run to tell "caught by something else" from "marked solved".
 */
import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { applyPatch, parsePatch, type StructuredPatch } from 'diff';
import type { LabCheck } from './define.ts';
import type { Lab } from './labs.ts';
import { LabServerStartError, loadAttack, loadChecks, runLab, withServer } from './run.ts';
import { makeScratchDir, removeScratchDir } from './scratch.ts';

export interface Cheat {
  name: string;
  file: string;
  /** The one line saying why this fix is wrong. */
  why: string;
  /** `attack`, or the part of a check's name that must fail. */
  caughtBy: 'attack' | { check: string };
  base: 'starter' | 'solution';
  patches: StructuredPatch[];
}

export interface CheatVerdict {
  cheat: Cheat;
  /** What is still open with the cheat applied (the learner's message), when the lab stays unsolved. */
  open?: string;
  /** Why the cheat does not prove what it should: it is marked solved, it does not apply or start… */
  problem?: string;
}

const VARIANT_PATH = /^(?:[ab]\/)?(starter|solution)\/(.+)$/;

export function parseCheat(file: string): Cheat {
  const name = basename(file, '.patch');
  const text = readFileSync(file, 'utf8');
  const why = /^Wrong because: (.+)$/m.exec(text)?.[1]?.trim();
  const caught = /^Caught by: (attack|check "(.+)")\s*$/m.exec(text);
  if (!why || !caught) {
    throw new Error(`cheats/${name}.patch needs a "Wrong because: …" line and a "Caught by: attack|check "…"" line`);
  }
  const patches = parsePatch(text).filter((patch) => patch.hunks.length > 0);
  const bases = new Set(patches.map((patch) => VARIANT_PATH.exec(patch.oldFileName ?? '')?.[1]));
  const [base] = bases;
  if (patches.length === 0 || bases.size !== 1 || (base !== 'starter' && base !== 'solution')) {
    throw new Error(`cheats/${name}.patch must change files of starter/ or of solution/ (one of them)`);
  }
  return { name, file, why, caughtBy: caught[2] ? { check: caught[2] } : 'attack', base, patches };
}

/** The lab's cheats, in name order; throws on one that does not say why it is wrong or what catches it. */
export function listCheats(lab: Lab): string[] {
  const dir = join(lab.dir, 'cheats');
  try {
    return readdirSync(dir)
      .filter((file) => file.endsWith('.patch'))
      .sort()
      .map((file) => join(dir, file));
  } catch {
    return [];
  }
}

/**
 * A copy of the cheat's base folder with the patch applied, inside the lab folder (where the
 * packages the code imports resolve). The caller removes it.
 */
export function applyCheat(lab: Lab, cheat: Cheat): string {
  const dir = makeScratchDir(lab.dir, 'cheat');
  cpSync(join(lab.dir, cheat.base), dir, { recursive: true });
  for (const patch of cheat.patches) {
    const relative = VARIANT_PATH.exec(patch.oldFileName ?? '')?.[2] as string;
    const target = join(dir, relative);
    const patched = applyPatch(readFileSync(target, 'utf8'), patch);
    if (patched === false) {
      removeScratchDir(dir);
      throw new Error(`no longer applies to ${cheat.base}/${relative}: rewrite the patch against today's file`);
    }
    writeFileSync(target, patched);
  }
  return dir;
}

/** `Caught by:` names a check the lab does not have (or several). */
class CatcherMissing extends Error {}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** What the named task says about the cheat's code: what is open, or null when it passes. */
async function runCatcher(lab: Lab, cheat: Cheat, codeDir: string): Promise<string | null> {
  if (cheat.caughtBy === 'attack') {
    const attack = await loadAttack(lab);
    const outcome = await withServer(codeDir, (server) => attack.run(server));
    return outcome.succeeded ? `the attack still works: ${outcome.evidence}` : null;
  }
  const part = cheat.caughtBy.check;
  const found = (await loadChecks(lab)).filter((check) => check.name.includes(part));
  if (found.length !== 1)
    throw new CatcherMissing(`names ${found.length} checks with "${part}" in their name, not one`);
  const check = found[0] as LabCheck;
  try {
    await withServer(codeDir, (server) => check.run(server));
    return null;
  } catch (error) {
    if (error instanceof LabServerStartError) throw error;
    const name = check.name.length > 60 ? `${check.name.slice(0, 59)}…` : check.name;
    return `check "${name}" fails: ${message(error)}`;
  }
}

/** Applies one cheat and proves the lab stays unsolved for the reason the cheat names. */
export async function verifyCheat(lab: Lab, file: string): Promise<CheatVerdict> {
  let cheat: Cheat;
  try {
    cheat = parseCheat(file);
  } catch (error) {
    const name = basename(file, '.patch');
    return {
      cheat: { name, file, why: '', caughtBy: 'attack', base: 'solution', patches: [] },
      problem: message(error),
    };
  }
  let codeDir: string;
  try {
    codeDir = applyCheat(lab, cheat);
  } catch (error) {
    return { cheat, problem: message(error) };
  }
  try {
    let missing = '';
    const open = await runCatcher(lab, cheat, codeDir).catch((error: unknown) => {
      if (!(error instanceof CatcherMissing)) throw error;
      missing = `${error.message}; `;
      return null;
    });
    if (open) return { cheat, open };
    const run = await runLab(lab, codeDir);
    if (run.solved) {
      return { cheat, problem: `${missing}is marked SOLVED: strengthen the check or the attack until it fails` };
    }
    const others = run.checks.filter((check) => !check.ok).map((check) => `check "${check.name}"`);
    if (!('error' in run.outcome) && run.outcome.succeeded) others.unshift('the attack');
    const by = others.join(', ') || 'an attack error';
    return { cheat, problem: `${missing || 'is not caught by what it names; '}only by ${by}` };
  } catch (error) {
    const what = error instanceof LabServerStartError ? 'its server does not start' : 'it could not be run';
    return { cheat, problem: `${what}: ${message(error)}` };
  } finally {
    removeScratchDir(codeDir);
  }
}
