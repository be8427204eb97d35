/**
 * The class board's two secrets, read aloud or typed from a projector: Crockford base32 (no I, L,
 * O or U; typing I or L reads as 1, O as 0; case and dashes ignored), drawn from the CSPRNG.
 *
 * - The join code (12 characters, 60 bits) lets a runner join and report. Every participant knows
 *   it, so it is no secret from the room; it keeps out whoever is merely on the same wifi.
 * - The instructor code (20 characters, 100 bits) opens the instructor's view and `--instructor`
 *   (instructor-gate.ts). Only the instructor has it; one chosen in AUTHLAB_INSTRUCTOR_CODE should
 *   be as random.
 *
 * Guessing online is rate limited per address (attempt-limiter.ts); at that rate 60 bits take far
 * longer than any workshop. Where a guess can be tested offline (someone posing as the board to a
 * joining runner, join-handshake.ts), each guess costs one scrypt: ~2^59 of them for a join code.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** `length` characters from the CSPRNG, in groups of four: 256 is a multiple of 32, so no bias. */
function newCode(length: number, random: (size: number) => Buffer = randomBytes): string {
  const characters = [...random(length)].map((byte) => ALPHABET[byte % 32]).join('');
  return characters.match(/.{1,4}/g)?.join('-') ?? '';
}

export const newJoinCode = (random?: (size: number) => Buffer) => newCode(12, random);
export const newInstructorCode = (random?: (size: number) => Buffer) => newCode(20, random);

/** The code as typed, in canonical form: upper case, no dashes or spaces, I/L → 1, O → 0. */
export function normaliseCode(typed: string): string {
  return typed.toUpperCase().replace(/[\s-]/g, '').replace(/[IL]/g, '1').replace(/O/g, '0');
}

/**
 * Compares a typed code with the real one in constant time: both are MACed under a key of this
 * process first, so the comparison is of equal lengths and leaks nothing about a prefix.
 */
export function codeMatcher(code: string): (typed: string) => boolean {
  const key = randomBytes(32);
  const digest = (text: string) => createHmac('sha256', key).update(normaliseCode(text)).digest();
  const expected = digest(code);
  return (typed) => timingSafeEqual(digest(typed), expected);
}
