import { timingSafeEqual } from 'node:crypto';

/**
 * Whether `given`, a MAC or proof as received (base64url text), is `expected`, compared in
 * constant time; anything that is not a string, or decodes to another length, is not. The one
 * comparison behind every secret check of the lab kit: join proofs, report signatures, unlock
 * grants, solve proofs and the remembered instructor code.
 */
export function proofMatches(given: unknown, expected: Buffer): boolean {
  if (typeof given !== 'string') return false;
  const bytes = Buffer.from(given, 'base64url');
  return bytes.length === expected.length && timingSafeEqual(bytes, expected);
}
