/**
 * What `--instructor` (or AUTHLAB_INSTRUCTOR=1) needs before `pnpm lab hint`, `solution` or
 * `check --solution` shows anything: the instructor's code, checked
 * - by the class board, when this runner has joined one (class/instructor-unlock.ts): the code never
 *   crosses the network, wrong codes count toward the board's per-address limit (429), and the
 *   board records the unlock on this participant's row;
 * - otherwise against the salted scrypt hash in `<authlab home>/labs/instructor-code` (0600),
 *   written on the instructor's laptop by `pnpm lab board --class`.
 * With neither, it is refused, with what to do.
 *
 * What it is not: the hints and `solution/` ship in the repository, so anyone can read the files.
 * The gate stops the runner from unlocking them without the code and makes an unlock in class
 * visible to the instructor; it does not hide them.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { codeKey, newSalt } from './class/join-handshake.ts';
import { ClassError, readMembership, unlockWithBoard } from './class/participant.ts';
import { proofMatches } from './constant-time.ts';
import { labHome, readPrivateFile, writePrivateFile } from './lab-home.ts';

const instructorCodeFile = (): string => join(labHome(), 'instructor-code');

const StoredCode = z
  .object({ scheme: z.literal('scrypt-authlab-code/1'), salt: z.string(), hash: z.string() })
  .strict();

/** Keeps a salted scrypt hash of `code` (never the code), so this laptop's `--instructor` takes it. */
export function rememberInstructorCode(code: string, file = instructorCodeFile()): void {
  const salt = newSalt();
  const stored = { scheme: 'scrypt-authlab-code/1', salt, hash: codeKey(code, salt).toString('base64url') };
  writePrivateFile(file, `${JSON.stringify(stored)}\n`);
}

/** Whether `code` is the one remembered here; null when none is. */
function matchesRememberedCode(code: string): boolean | null {
  const text = readPrivateFile(instructorCodeFile());
  if (text === null) return null;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = null;
  }
  const parsed = StoredCode.safeParse(json);
  if (!parsed.success) {
    throw new Error(
      `${instructorCodeFile()} is damaged: delete it and start the class board again (pnpm lab board --class) to remember the code anew.`,
    );
  }
  return proofMatches(parsed.data.hash, codeKey(code, parsed.data.salt));
}

export type InstructorUnlock =
  | { unlocked: true; by: 'class board' | 'this laptop' }
  | { unlocked: false; reason: string };

/** Checks the instructor code typed for `lab`: by the class board when joined, else locally. */
export async function unlockInstructor(code: string, lab: string): Promise<InstructorUnlock> {
  if (code.trim() === '') return { unlocked: false, reason: 'no instructor code was given.' };
  const membership = readMembership();
  if (membership) {
    try {
      if (await unlockWithBoard(membership, code, lab)) return { unlocked: true, by: 'class board' };
      return { unlocked: false, reason: 'the class board says that is not the instructor code.' };
    } catch (error) {
      const detail = error instanceof ClassError ? error.message : String(error);
      return {
        unlocked: false,
        reason: `the class board could not check the code (${detail}). This laptop joined a class, so the board checks it; pnpm lab leave first to use this laptop's own instructor code.`,
      };
    }
  }
  let local: boolean | null;
  try {
    local = matchesRememberedCode(code);
  } catch (error) {
    return { unlocked: false, reason: (error as Error).message };
  }
  if (local === null) {
    return {
      unlocked: false,
      reason:
        'this laptop has no instructor code to check against. On the instructor’s laptop, pnpm lab board --class keeps one (the code it prints, or AUTHLAB_INSTRUCTOR_CODE); on a participant’s laptop, pnpm lab join the class board and the board checks it.',
    };
  }
  return local
    ? { unlocked: true, by: 'this laptop' }
    : { unlocked: false, reason: 'that is not the instructor code.' };
}
