/**
 * A solve is recorded only by the runner that verified it: with the time it records a hash of the
 * files it verified and an HMAC-SHA256 over the lab, that time and that hash, keyed by a secret in
 * the participant's authlab home (lab-home.ts), never in the repository. Editing the progress
 * file (a `solvedAt` typed in, one lab's record copied to another, a time changed) leaves a record
 * whose MAC does not verify: it shows as "tampered", never as solved, and unlocks nothing.
 *
 * What it does not stop: someone who reads their own key (it is theirs, readable by anything they
 * run) or edits the runner can still forge a record. It makes "solved" a thing the runner says,
 * not a thing a text editor says.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { proofMatches } from './constant-time.ts';
import { labHome, readOrCreateSecret } from './lab-home.ts';

export interface SolveProof {
  /** SHA-256 over the verified copy's files (see hashWorkFiles). */
  workHash: string;
  /** HMAC-SHA256, base64url, over the lab id, solvedAt and workHash. */
  mac: string;
}

export type LabStatus = 'not started' | 'started' | 'solved' | 'tampered';

const solveKeyFile = (): string => join(labHome(), 'solve-key');

/** This participant's solve key (256 random bits, created on first use). */
export function solveKey(): Buffer {
  const text = readOrCreateSecret(solveKeyFile(), () => randomBytes(32).toString('base64url'));
  return Buffer.from(text, 'base64url');
}

/**
 * One hash for a folder: each file's path (from the folder, `/`-separated) and the SHA-256 of its
 * bytes, sorted by path. The same files give the same hash on any machine.
 */
export function hashWorkFiles(dir: string): string {
  const entries = readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => statSync(join(dir, file)).isFile())
    .map(
      (file) =>
        `${file.split('\\').join('/')}\0${createHash('sha256')
          .update(readFileSync(join(dir, file)))
          .digest('hex')}`,
    )
    .sort();
  return createHash('sha256').update(entries.join('\n')).digest('hex');
}

const macOf = (key: Buffer, labId: string, solvedAt: string, workHash: string): Buffer =>
  // A JSON array, so that no choice of fields can shift a boundary between two of them.
  createHmac('sha256', key)
    .update(JSON.stringify(['authlab-lab-solve/1', labId, solvedAt, workHash]))
    .digest();

export function signSolve(key: Buffer, labId: string, solvedAt: string, workHash: string): SolveProof {
  return { workHash, mac: macOf(key, labId, solvedAt, workHash).toString('base64url') };
}

/** Whether a progress record's solve is one this participant's runner recorded. */
export function isGenuineSolve(
  key: Buffer,
  labId: string,
  record: { solvedAt?: unknown; proof?: unknown } | undefined,
): boolean {
  const { solvedAt, proof } = record ?? {};
  if (typeof solvedAt !== 'string' || !proof || typeof proof !== 'object') return false;
  const { workHash, mac } = proof as Record<string, unknown>;
  if (typeof workHash !== 'string') return false;
  return proofMatches(mac, macOf(key, labId, solvedAt, workHash));
}

/** The lab's state as the board and the list show it: a solve that does not verify is "tampered". */
export function labStatus(
  key: Buffer,
  labId: string,
  record: { startedAt?: unknown; solvedAt?: unknown; proof?: unknown } | undefined,
): LabStatus {
  if (record?.solvedAt !== undefined) return isGenuineSolve(key, labId, record) ? 'solved' : 'tampered';
  return record?.startedAt ? 'started' : 'not started';
}
