/**
 * The instructor unlock, both ends: a runner that has joined a class proves to the board that the
 * instructor code was typed on it, and the board proves back that it was the right one; the code
 * never crosses the network.
 *
 * Both proofs are HKDF-SHA256 outputs keyed by the participant's report key and salted with
 * `codeKey(instructor code, board salt)` (scrypt), bound to the participant, lab, time and nonce
 * of the request. A listener on the LAN, without the report key, has nothing to test guesses of
 * the instructor code against; the participant, who has it, can test guesses offline only at one
 * scrypt each against the code's 100 bits. The board's answer is what unlocks: a wrong code (or a
 * board that does not know the instructor code) gives a proof the runner refuses.
 */
import { hkdfSync } from 'node:crypto';
import type { Unlock } from './protocol.ts';

/** What an unlock request's proofs are bound to: the request without its proof. */
type UnlockFields = Omit<Unlock, 'proof'>;

function derive(purpose: string, reportKey: Buffer, instructorKey: Buffer, fields: UnlockFields): Buffer {
  const bound = JSON.stringify([
    'authlab-instructor-unlock/1',
    fields.participant,
    fields.sentAt,
    fields.nonce,
    fields.lab,
  ]);
  return Buffer.from(hkdfSync('sha256', reportKey, instructorKey, `${purpose}\n${bound}`, 32));
}

/** The runner's proof that the instructor code was typed. */
export const unlockRequestProof = (reportKey: Buffer, instructorKey: Buffer, fields: UnlockFields) =>
  derive('unlock request', reportKey, instructorKey, fields);

/** The board's answer that it was the right code. */
export const unlockGrantProof = (reportKey: Buffer, instructorKey: Buffer, fields: UnlockFields) =>
  derive('unlock granted', reportKey, instructorKey, fields);
