/**
 * Progress, per learner and machine, in a gitignored JSON file (`.lab-progress.json` at the
 * repository root, or `$AUTHLAB_LAB_STATE`). Written whole to a temporary file and renamed, so an
 * interrupted write never leaves half a file.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './labs.ts';

export interface LabProgress {
  startedAt?: string;
  solvedAt?: string;
  /** How many hint tiers the learner has asked for. */
  hintsSeen: number;
}

export type Progress = Record<string, LabProgress>;

export const stateFile = (): string => process.env.AUTHLAB_LAB_STATE ?? join(REPO_ROOT, '.lab-progress.json');

export function readProgress(): Progress {
  try {
    const parsed = JSON.parse(readFileSync(stateFile(), 'utf8'));
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Progress) : {};
  } catch {
    return {};
  }
}

export function updateProgress(id: string, change: (progress: LabProgress) => LabProgress | null): LabProgress | null {
  const all = readProgress();
  const next = change(all[id] ?? { hintsSeen: 0 });
  if (next) all[id] = next;
  else delete all[id];
  const file = stateFile();
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(all, null, 2)}\n`);
  renameSync(temporary, file);
  return next;
}

export function clearProgress(): void {
  const file = stateFile();
  writeFileSync(`${file}.${process.pid}.tmp`, '{}\n');
  renameSync(`${file}.${process.pid}.tmp`, file);
}

export function instructorMode(argv: string[]): boolean {
  const env = process.env.AUTHLAB_INSTRUCTOR;
  return argv.includes('--instructor') || env === '1' || env === 'true';
}
