/**
 * One round of checks on the participant's copy, as `pnpm lab check` and every save in
 * `pnpm lab start` run it: the copy is snapshotted once, so a save during the round never mixes
 * two versions of the code between the attack and the checks; the protected files are verified
 * by hash; and the round counts as solved only when both the run and the files say so.
 */
import { cpSync } from 'node:fs';
import type { Lab } from './labs.ts';
import { changedProtectedFiles } from './protected.ts';
import { type LabRun, runLab } from './run.ts';
import { makeScratchDir, removeScratchDir } from './scratch.ts';

export interface Snapshot {
  dir: string;
  remove(): void;
}

/** A copy of `codeDir` taken now, inside the lab folder (where the packages it imports resolve). */
export function takeSnapshot(lab: Lab, codeDir: string): Snapshot {
  const dir = makeScratchDir(lab.dir, 'round');
  cpSync(codeDir, dir, { recursive: true });
  return { dir, remove: () => removeScratchDir(dir) };
}

export interface Round {
  run: LabRun;
  /** Protected files that were changed, by name; the round is not solved while there are any. */
  changed: string[];
  solved: boolean;
}

/** Runs the attack and the checks against `snapshot`, and verifies the protected files. */
export async function checkRound(lab: Lab, snapshot: Snapshot): Promise<Round> {
  const changed = changedProtectedFiles(lab, snapshot.dir);
  const run = await runLab(lab, snapshot.dir);
  return { run, changed, solved: run.solved && changed.length === 0 };
}

/** What the participant reads about changed protected files (nothing when there are none). */
export function describeChanged(changed: string[]): string {
  if (changed.length === 0) return '';
  return [
    '✗ These files must stay as the lab ships them, and were changed, so this round cannot count:',
    ...changed.map((file) => `    ${file}`),
    '  Restore them (git checkout -- <file>, or copy the file back from starter/).',
  ].join('\n');
}
