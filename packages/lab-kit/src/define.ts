/**
 * What a lab's `attack/attack.ts` and `check/check.ts` export. Both receive the running server
 * (`LabTarget`); the attack says whether it got what it wanted, a check throws when the app no
 * longer does its job.
 *
 * @example
 * export default defineAttack({
 *   title: 'Sign in as alice with a password from the leaked table',
 *   why: 'A fast unsalted hash lets an attacker test millions of guesses per second.',
 *   async run(lab) {
 *     const cracked = …;
 *     return cracked ? worked(`cracked alice: "${cracked}"`) : blocked('no guess matched');
 *   },
 * });
 */
import type { LabTarget } from './target.ts';

export interface AttackOutcome {
  /** true: the attacker got what the lab's goal says must stop. */
  succeeded: boolean;
  /** What the attacker saw, in one or two plain sentences (shown to the learner). */
  evidence: string;
}

export interface LabAttack {
  /** What the attacker does, in one line. */
  title: string;
  /** Why the attack works while it still does: the weakness, in plain words. */
  why: string;
  run(lab: LabTarget): Promise<AttackOutcome>;
}

export interface LabCheck {
  /** What must keep working, as a sentence ("alice can still sign in"). */
  name: string;
  /**
   * This check describes part of the fix itself (e.g. "bob's old bcrypt hash is upgraded at his
   * next login"), so it fails on the starter; `pnpm lab verify` proves that it does.
   */
  partOfTheFix?: boolean;
  /** Throws (node:assert is fine) when the behaviour is broken. */
  run(lab: LabTarget): Promise<void>;
}

export const defineAttack = (attack: LabAttack): LabAttack => attack;
export const defineChecks = (checks: LabCheck[]): LabCheck[] => checks;

/** The attacker got what it wanted. */
export const worked = (evidence: string): AttackOutcome => ({ succeeded: true, evidence });
/** The defence held. */
export const blocked = (evidence: string): AttackOutcome => ({ succeeded: false, evidence });
