/**
 * What every scenario of `pnpm lab compare` shares: the run's context, one cell per mode (a mode
 * that fails gets a cell saying why), and the few number formats the cells use. The scenarios are
 * one file each: revocation.ts (row 1), script-read.ts (2), cross-site-form.ts (3),
 * credential-size.ts (4), server-state.ts (5), verification-cost.ts (6), two-instances.ts (7).
 */
import type { ServerProcess } from '@authlab/testkit';
import { type Cell, type CompareParams, failedCell, MODES, type Mode } from './types.ts';

export interface Account {
  email: string;
  password: string;
}

export interface ScenarioContext {
  main: ServerProcess;
  params: CompareParams;
  /** The accounts this run may sign in (demo accounts first, then any it added). */
  accounts: Account[];
  progress(text: string): void;
}

export const fmtMs = (ms: number) => (ms < 10 ? `${ms.toFixed(1)} ms` : `${Math.round(ms)} ms`);
/** 59 s, 10 min, 14 d: how long, roughly. */
export function fmtDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s} s`;
  if (s < 2 * 3600) return `${Math.round(s / 60)} min`;
  if (s < 2 * 86_400) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86_400)} d`;
}
export const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
};
export const round1 = (n: number) => Math.round(n * 10) / 10;

/** Runs `measure` for each mode; a mode that fails gets a cell saying why and the others go on. */
export async function perMode(
  source: (mode: Mode) => string,
  measure: (mode: Mode) => Promise<Cell>,
): Promise<Record<Mode, Cell>> {
  const cells = {} as Record<Mode, Cell>;
  for (const mode of MODES) {
    try {
      cells[mode] = await measure(mode);
    } catch (error) {
      cells[mode] = failedCell(error, source(mode));
    }
  }
  return cells;
}
