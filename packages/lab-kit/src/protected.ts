/**
 * The files a participant must not change, verified at every round: a changed one is named, and
 * the round cannot count as solved (an edited check or attack proves nothing).
 *
 * - In the copy under test: the files `lab.json` lists as `protected` (the parts the README calls
 *   "not the weak part"), compared by SHA-256 with the starter's.
 * - In the lab folder: `attack/`, `check/`, `starter/`, `solution/`, `cheats/` and `lab.json`,
 *   compared with the commit checked out (`git status`, which compares content hashes). Outside a
 *   git checkout (a zip of the repository) only the first kind is verified.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { type Lab, variantDir } from './labs.ts';

const sha256 = (file: string): string | null => {
  try {
    return createHash('sha256').update(readFileSync(file)).digest('hex');
  } catch {
    return null; // a deleted file counts as changed
  }
};

/** The lab's own files that differ from the commit checked out, as paths from the lab folder. */
function changedInGit(lab: Lab): string[] {
  const folders = ['attack', 'check', 'starter', 'solution', 'cheats', 'lab.json'];
  try {
    const status = execFileSync('git', ['status', '--porcelain', '--untracked-files=all', '--', ...folders], {
      cwd: lab.dir,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const top = execFileSync('git', ['rev-parse', '--show-toplevel'], { cwd: lab.dir, encoding: 'utf8' }).trim();
    return status
      .split('\n')
      .filter(Boolean)
      .map((line) => relative(lab.dir, join(top, line.slice(3).replace(/^.* -> /, ''))));
  } catch {
    return []; // not a git checkout, or no git: nothing to compare with
  }
}

/**
 * Every protected file that differs from what it must be, named as the participant sees it
 * (`work/metrics.ts`, `check/check.ts`); empty when all are as shipped.
 */
export function changedProtectedFiles(lab: Lab, codeDir: string, shownAs = 'work'): string[] {
  const changed = (lab.protected ?? [])
    .filter((file) => sha256(join(codeDir, file)) !== sha256(join(variantDir(lab, 'starter'), file)))
    .map((file) => `${shownAs}/${file}`);
  return [...changed, ...changedInGit(lab)];
}
