/**
 * The users table leaked (a backup, an SQL injection, a stolen laptop). The attacker runs a
 * wordlist against alice's hash for three seconds, then signs in with what it found.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { blocked, defineAttack, postJson, worked } from '@authlab/lab-kit';
import argon2 from 'argon2';
import bcrypt from 'bcryptjs';

const BUDGET_MS = 3_000;

// 5,000 guesses in the shape people pick: a word, a dash, a number.
const WORDS = [
  'sunshine',
  'monkey',
  'dragon',
  'shadow',
  'summer',
  'winter',
  'tiger',
  'falcon',
  'butterfly',
  'dragonfly',
];
const wordlist = function* () {
  for (const word of WORDS) for (let n = 0; n < 500; n += 1) yield `${word}-${n}`;
};

async function matches(hash: string, guess: string): Promise<boolean> {
  if (hash.startsWith('$argon2')) return argon2.verify(hash, guess);
  if (hash.startsWith('$2')) return bcrypt.compare(guess, hash);
  return createHash('sha256').update(guess).digest('hex') === hash;
}

export default defineAttack({
  title: "crack alice's password from the leaked users table in 3 seconds, then sign in as her",
  why: 'a fast, unsalted hash lets an attacker test guesses as fast as the CPU can hash',
  async run(lab) {
    const users = JSON.parse(readFileSync(join(lab.dataDir, 'users.json'), 'utf8'));
    const hash: string = users.alice.hash;
    const deadline = performance.now() + BUDGET_MS;
    let tried = 0;
    for (const guess of wordlist()) {
      if (performance.now() > deadline) break;
      tried += 1;
      if (!(await matches(hash, guess))) continue;
      const login = await postJson(lab, '/login', { username: 'alice', password: guess });
      return login.ok
        ? worked(`"${guess}" after ${tried} guesses; POST /login as alice answered ${login.status}`)
        : blocked(`cracked "${guess}", but the login was refused (${login.status})`);
    }
    return blocked(`only ${tried} guesses fit in ${BUDGET_MS / 1000} s, and none matched`);
  },
});
