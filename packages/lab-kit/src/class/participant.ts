/**
 * The participant's side of a class: `pnpm lab join <host:port> <code> --name <name>` joins the
 * instructor's board and keeps what it answered (the board's address, this participant's id and
 * report key) in `<authlab home>/labs/class.json`, 0600; `pnpm lab leave` forgets it. While it is
 * there, the runner reports each change (a lab started, a hint used, a round run) to the board.
 *
 * A report carries each lab's state, its times, the hints used and the hash of the files that
 * were verified; never code. A solve counts in it only when this runner recorded it
 * (solve-proof.ts): editing the progress file sends "tampered", not "solved". The board being
 * unreachable (bad wifi, the instructor's laptop asleep) never fails a lab command: it says so in
 * one line and the next report brings the board up to date.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { proofMatches } from '../constant-time.ts';
import { labHome, readPrivateFile, writePrivateFile } from '../lab-home.ts';
import { listLabs } from '../labs.ts';
import { labStatus, solveKey } from '../solve-proof.ts';
import { readProgress } from '../state.ts';
import { unlockGrantProof, unlockRequestProof } from './instructor-unlock.ts';
import { codeKey, ephemeralKey, HandshakeError, handshakeKeys, sharedSecret } from './join-handshake.ts';
import {
  JoinFinishAnswer,
  JoinStartAnswer,
  type LabReport,
  SIGNATURE_HEADER,
  signedReport,
  signUnlock,
  type Unlock,
  UnlockAnswer,
} from './protocol.ts';

const classFile = (): string => join(labHome(), 'class.json');

const Membership = z
  .object({ board: z.url(), name: z.string(), participant: z.string(), key: z.string(), salt: z.string() })
  .strict();
export type Membership = z.infer<typeof Membership>;

const REQUEST_TIMEOUT_MS = 3_000;

export class ClassError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

/** `host:port` (an IPv6 address in brackets) as the board's URL; nothing else is accepted. */
export function boardUrl(address: string): string {
  const port = /^(?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(address)?.[1];
  if (port === undefined || Number(port) > 65_535) {
    throw new ClassError('invalid_address', `"${address}" is not host:port, e.g. 192.168.1.20:4700`);
  }
  return `http://${address}`;
}

async function post(url: string, body: string, headers: Record<string, string> = {}): Promise<Response> {
  try {
    return await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (error) {
    // fetch's own error says only "fetch failed"; the cause tells a refusal from a timeout or a wrong name.
    const reason = ((error as Error).cause as { code?: string } | undefined)?.code ?? (error as Error).name;
    throw new ClassError('board_unreachable', `the class board at ${url} cannot be reached (${reason})`);
  }
}

async function refusal(response: Response): Promise<ClassError> {
  const answer = (await response.json().catch(() => ({}))) as { error?: string; error_description?: string };
  return new ClassError(
    answer.error ?? `http_${response.status}`,
    answer.error_description ?? `HTTP ${response.status}`,
  );
}

const notABoard = (board: string) => new ClassError('invalid_answer', `${board} does not answer like a class board`);

/**
 * The participant's half of the join handshake (join-handshake.ts) with the board at `board` (a
 * URL): neither the code nor the report key is sent. A board that cannot prove it knows the code
 * (someone in the middle) is refused before anything is kept.
 */
export async function joinBoard(board: string, code: string, name: string): Promise<Membership> {
  const own = ephemeralKey();
  const started = await post(`${board}/join/start`, JSON.stringify({ name, key: own.publicKey }));
  if (started.status !== 200) throw await refusal(started);
  const answer = JoinStartAnswer.safeParse(await started.json().catch(() => null));
  if (!answer.success) throw notABoard(board);
  const { participant, key: boardKey, nonce, salt } = answer.data;
  let secret: Buffer;
  try {
    secret = sharedSecret(own.privateKey, boardKey);
  } catch (error) {
    if (error instanceof HandshakeError) throw notABoard(board);
    throw error;
  }
  const keys = handshakeKeys(secret, codeKey(code, salt), {
    name,
    participant,
    participantKey: own.publicKey,
    boardKey,
    nonce,
    salt,
  });
  const proof = keys.participantProof.toString('base64url');
  const finished = await post(`${board}/join/finish`, JSON.stringify({ participant, proof }));
  if (finished.status !== 201) throw await refusal(finished);
  const final = JoinFinishAnswer.safeParse(await finished.json().catch(() => null));
  if (!final.success) throw notABoard(board);
  if (!proofMatches(final.data.proof, keys.boardProof)) {
    throw new ClassError(
      'board_not_proven',
      `${board} could not prove it knows the join code: someone may be between you and the board; ask the instructor`,
    );
  }
  return { board, name, participant, key: keys.reportKey.toString('base64url'), salt };
}

/** Joins the board at `address` as `name`, remembers the membership, and returns it. */
export async function joinClass(address: string, code: string, name: string): Promise<Membership> {
  const membership = await joinBoard(boardUrl(address), code, name);
  writePrivateFile(classFile(), `${JSON.stringify(membership, null, 2)}\n`);
  return membership;
}

/**
 * Asks the board of `membership` whether `instructorCode` is the instructor's (instructor-unlock.ts);
 * the board records the unlock on this participant's row. True only when the board proved it.
 */
export async function unlockWithBoard(
  membership: Membership,
  instructorCode: string,
  lab: string,
  sentAt = Date.now(),
): Promise<boolean> {
  const reportKey = Buffer.from(membership.key, 'base64url');
  const instructorKey = codeKey(instructorCode, membership.salt);
  const fields = { participant: membership.participant, sentAt, nonce: randomBytes(16).toString('base64url'), lab };
  const request: Unlock = {
    ...fields,
    proof: unlockRequestProof(reportKey, instructorKey, fields).toString('base64url'),
  };
  const body = JSON.stringify(request);
  const response = await post(`${membership.board}/unlock`, body, {
    [SIGNATURE_HEADER]: signUnlock(reportKey, body),
  });
  if (response.status === 401) {
    const refused = await refusal(response);
    if (refused.code === 'invalid_code') return false;
    throw refused;
  }
  if (response.status !== 200) throw await refusal(response);
  const answer = UnlockAnswer.safeParse(await response.json().catch(() => null));
  return answer.success && proofMatches(answer.data.proof, unlockGrantProof(reportKey, instructorKey, fields));
}

export function leaveClass(): boolean {
  const had = readPrivateFile(classFile()) !== null;
  rmSync(classFile(), { force: true });
  return had;
}

export function readMembership(): Membership | null {
  const text = readPrivateFile(classFile());
  if (text === null) return null;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return null; // not JSON (cut short, edited): not joined, as with a wrong shape
  }
  const parsed = Membership.safeParse(json);
  return parsed.success ? parsed.data : null;
}

/** What the board learns about each of `labIds`: state, times, hints, the verified files' hash. */
export function labReports(labIds: string[]): LabReport[] {
  const progress = readProgress();
  const key = solveKey();
  return labIds.map((lab) => {
    const record = progress[lab];
    const status = labStatus(key, lab, record);
    return {
      lab,
      status,
      startedAt: record?.startedAt ?? null,
      solvedAt: status === 'solved' ? (record?.solvedAt ?? null) : null,
      hintsUsed: record?.hintsSeen ?? 0,
      workHash: status === 'solved' ? (record?.proof?.workHash ?? null) : null,
    };
  });
}

/** Sends a signed report of `labs` to the board of `membership`. */
export async function sendReport(membership: Membership, labs: LabReport[], sentAt = Date.now()): Promise<void> {
  const { body, signature } = signedReport(membership, labs, sentAt);
  const response = await post(`${membership.board}/report`, body, { [SIGNATURE_HEADER]: signature });
  if (response.status !== 204) throw await refusal(response);
}

/**
 * After a change to `labIds` (every lab when omitted): reports them when this runner has joined a
 * class, and otherwise does nothing. Never throws: a failure is one line on stderr.
 */
export async function reportToClass(labIds?: string[]): Promise<void> {
  let membership: Membership | null;
  try {
    membership = readMembership();
    if (!membership) return;
    await sendReport(membership, labReports(labIds ?? listLabs().map((lab) => lab.id)));
  } catch (error) {
    const hint = error instanceof ClassError && error.code === 'invalid_signature' ? ' (pnpm lab join again)' : '';
    process.stderr.write(`(class board: not updated: ${(error as Error).message}${hint})\n`);
  }
}
