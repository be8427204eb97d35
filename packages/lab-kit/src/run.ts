/**
 * One round of a lab against one copy of its code: the attacker and each functional check on a
 * fresh server of its own, so none leaves state (a locked account, a used code) another trips on.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AttackOutcome, LabAttack, LabCheck } from './define.ts';
import type { Lab } from './labs.ts';
import { type RunningLabServer, startLabServer } from './target.ts';

export interface CheckResult {
  name: string;
  ok: boolean;
  partOfTheFix: boolean;
  detail?: string;
}

export interface LabRun {
  attack: LabAttack;
  /** The outcome, or the error that kept the attack from running to the end. */
  outcome: AttackOutcome | { error: string };
  checks: CheckResult[];
  /** Solved: the attack was blocked and every check passed. */
  solved: boolean;
}

export async function loadAttack(lab: Lab): Promise<LabAttack> {
  const module = await import(pathToFileURL(join(lab.dir, 'attack', 'attack.ts')).href);
  return module.default as LabAttack;
}

export async function loadChecks(lab: Lab): Promise<LabCheck[]> {
  const module = await import(pathToFileURL(join(lab.dir, 'check', 'check.ts')).href);
  return module.default as LabCheck[];
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * How long an attack or a check may take before it counts as failed: far beyond any honest run
 * (a few seconds), so only a hang trips it, and a hang never stalls `pnpm lab verify` or CI.
 */
export const TASK_TIMEOUT_MS = Number(process.env.AUTHLAB_LAB_TASK_TIMEOUT_MS ?? 120_000);

/** The lab server itself did not come up (its code does not load or start): no verdict on the code. */
export class LabServerStartError extends Error {}

/** Runs `use` against a fresh server from `codeDir`, stopped afterwards, within TASK_TIMEOUT_MS. */
export async function withServer<T>(codeDir: string, use: (server: RunningLabServer) => Promise<T>): Promise<T> {
  const server = await startLabServer(codeDir).catch((error: unknown) => {
    throw new LabServerStartError(message(error));
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`it did not finish within ${TASK_TIMEOUT_MS / 1000} s (stopped)`)),
      TASK_TIMEOUT_MS,
    );
  });
  try {
    return await Promise.race([use(server), timeout]);
  } finally {
    clearTimeout(timer);
    await server.stop();
  }
}

/** How many lab servers one run keeps up at once (each check gets a fresh one). */
export const PARALLEL_SERVERS = 4;

export async function inParallel<T>(tasks: (() => Promise<T>)[], limit: number): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const index = next++;
      results[index] = await (tasks[index] as () => Promise<T>)();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return results;
}

export async function runLab(lab: Lab, codeDir: string): Promise<LabRun> {
  const [attack, checks] = await Promise.all([loadAttack(lab), loadChecks(lab)]);
  const attackTask = () =>
    withServer(codeDir, (server) => attack.run(server)).catch((error): { error: string } => ({
      error: message(error),
    }));
  const checkTasks = checks.map((check) => async (): Promise<CheckResult> => {
    const partOfTheFix = check.partOfTheFix === true;
    try {
      await withServer(codeDir, (server) => check.run(server));
      return { name: check.name, ok: true, partOfTheFix };
    } catch (error) {
      return { name: check.name, ok: false, partOfTheFix, detail: message(error) };
    }
  });
  const [outcome, ...checkResults] = (await inParallel<AttackOutcome | { error: string } | CheckResult>(
    [attackTask, ...checkTasks],
    PARALLEL_SERVERS,
  )) as [AttackOutcome | { error: string }, ...CheckResult[]];
  const blocked = !('error' in outcome) && !outcome.succeeded;
  return { attack, outcome, checks: checkResults, solved: blocked && checkResults.every((check) => check.ok) };
}

/** The run in plain words, for the terminal. */
export function describeRun(run: LabRun): string {
  const lines: string[] = [];
  const { outcome } = run;
  if ('error' in outcome) {
    lines.push(`? The attack could not run to the end: ${outcome.error}`);
  } else if (outcome.succeeded) {
    lines.push(`✗ The attack still works: ${run.attack.title}.`);
    lines.push(`    What the attacker got: ${outcome.evidence}`);
    lines.push(`    Why: ${run.attack.why}`);
  } else {
    lines.push(`✓ The attack is stopped: ${outcome.evidence}`);
  }
  for (const check of run.checks) {
    lines.push(check.ok ? `✓ ${check.name}` : `✗ ${check.name}: ${check.detail ?? 'failed'}`);
  }
  return lines.join('\n');
}
