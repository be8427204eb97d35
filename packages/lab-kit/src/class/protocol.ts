/**
 * What a participant's runner and the instructor's class board say to each other, for both ends:
 * the request shapes (validated strictly: an unknown field is refused, not ignored), the codes and
 * the report signature.
 *
 *   POST /join/start   {name, key}                          → 200 {participant, key, nonce, salt}
 *   POST /join/finish  {participant, proof}                 → 201 {proof}    (join-handshake.ts)
 *   POST /report       {participant, sentAt, nonce, labs: […]}   + header authlab-signature → 204
 *   POST /unlock       {participant, sentAt, nonce, lab, proof}  + header authlab-signature → 200 {proof}
 *
 * A report carries each lab's state, times, hints used and the hash of the files the runner
 * verified; never source code. It is signed with the key the board issued at join (HMAC-SHA256
 * over the exact body), and `sentAt` + `nonce` let the board refuse a replayed one. Neither code
 * ever crosses the network: the join code is proven in the handshake, the instructor code in
 * an unlock (instructor-unlock.ts).
 */
import { createHmac, randomBytes } from 'node:crypto';
import { z } from 'zod';

/** Every request body the board accepts fits in this (a report of every lab is ~3 KiB). */
export const MAX_BODY_BYTES = 16 * 1024;
export const SIGNATURE_HEADER = 'authlab-signature';
/** How far a report's `sentAt` may be from the board's clock (laptops' clocks drift a little). */
export const REPORT_WINDOW_MS = 5 * 60_000;

const id = z.string().regex(/^[A-Za-z0-9_-]{22,64}$/);
/** An X25519 public key or a 32-byte proof, base64url. */
const bytes32 = z.string().regex(/^[A-Za-z0-9_-]{43}$/);
/** A lab folder's name, e.g. `01-password-storage`. */
const labId = z.string().regex(/^\d\d-[a-z0-9-]{1,60}$/);
const isoTime = z.iso.datetime({ offset: true });

/** A name as people type it: printable, one line, at most 40 characters. */
const Name = z
  .string()
  .trim()
  .min(1)
  .max(40)
  .regex(/^[^\p{Cc}\p{Cf}\p{Zl}\p{Zp}]+$/u, 'no control characters');

export const JoinStart = z.object({ name: Name, key: bytes32 }).strict();
export const JoinStartAnswer = z.object({ participant: id, key: bytes32, nonce: id, salt: id }).strict();
export type JoinStartAnswer = z.infer<typeof JoinStartAnswer>;
export const JoinFinish = z.object({ participant: id, proof: bytes32 }).strict();
export const JoinFinishAnswer = z.object({ proof: bytes32 }).strict();

/** A runner asking the board to check the instructor code typed on it (instructor-unlock.ts). */
export const Unlock = z
  .object({
    participant: id,
    sentAt: z.number().int().positive(),
    nonce: id,
    lab: labId,
    proof: bytes32,
  })
  .strict();
export const UnlockAnswer = z.object({ proof: bytes32 }).strict();
export type Unlock = z.infer<typeof Unlock>;

export const LabReport = z
  .object({
    lab: labId,
    status: z.enum(['not started', 'started', 'solved', 'tampered']),
    startedAt: isoTime.nullable(),
    solvedAt: isoTime.nullable(),
    hintsUsed: z.number().int().min(0).max(20),
    /** SHA-256 of the verified files, when solved (see solve-proof.ts). */
    workHash: z
      .string()
      .regex(/^[0-9a-f]{64}$/)
      .nullable(),
  })
  .strict();

export const Report = z
  .object({
    participant: id,
    sentAt: z.number().int().positive(),
    nonce: id,
    labs: z.array(LabReport).min(1).max(50),
  })
  .strict();

export type LabReport = z.infer<typeof LabReport>;
export type Report = z.infer<typeof Report>;

/** The signature of a report body, base64url. */
export function signReport(key: Buffer, body: string): string {
  return createHmac('sha256', key).update(`authlab-class-report/1\n${body}`).digest('base64url');
}

/** The signature of an unlock body: another label, so a report can never pass for one. */
export function signUnlock(key: Buffer, body: string): string {
  return createHmac('sha256', key).update(`authlab-class-unlock/1\n${body}`).digest('base64url');
}

/** A report body for `labs`, signed: what the runner POSTs. */
export function signedReport(
  membership: { participant: string; key: string },
  labs: LabReport[],
  sentAt: number,
): { body: string; signature: string } {
  const report: Report = {
    participant: membership.participant,
    sentAt,
    nonce: randomBytes(16).toString('base64url'),
    labs,
  };
  const body = JSON.stringify(report);
  return { body, signature: signReport(Buffer.from(membership.key, 'base64url'), body) };
}
