/**
 * The class board's state and rules, without HTTP (class-server.ts carries it): who joined, what
 * each participant's runner last reported, and what each kind of viewer may see. Errors are
 * values `{status, error, description}` that the server writes as JSON.
 *
 * What each code lets someone see (the board's trust model, in the README too):
 * - no code: nothing but a form asking for one;
 * - the join code: how many joined, and per lab how many started and solved it (no names, times
 *   or hints), and joining as a new participant;
 * - the instructor code: everything: each participant by name, each lab's state, start and
 *   solve times, hints used and the hash of the files their runner verified.
 * Nobody can change another participant's row: reports are signed with the key that participant
 * agreed with the board at join (join-handshake.ts), which never crossed the network.
 */
import type { z } from 'zod';
import { proofMatches } from '../constant-time.ts';
import { codeMatcher } from './codes.ts';
import { unlockGrantProof, unlockRequestProof } from './instructor-unlock.ts';
import { codeKey, HandshakeError, newSalt } from './join-handshake.ts';
import { PendingJoins } from './pending-joins.ts';
import {
  JoinFinish,
  JoinStart,
  type JoinStartAnswer,
  type LabReport,
  REPORT_WINDOW_MS,
  Report,
  signReport,
  signUnlock,
  Unlock,
} from './protocol.ts';

export interface BoardLab {
  id: string;
  title: string;
  hintTiers: number;
}

export type Role = 'instructor' | 'participant';

export interface Refusal {
  status: number;
  error: string;
  description: string;
  /** Seconds, for a 429. */
  retryAfter?: number;
}

export interface ParticipantLab extends Omit<LabReport, 'lab'> {
  /** The participant's `sentAt` of the report this state came from (older reports lose). */
  reportedAt: number;
}

export interface Participant {
  id: string;
  name: string;
  joinedAt: string;
  lastReportAt: string | null;
  labs: Record<string, ParticipantLab>;
  /** Each time this participant's runner was unlocked with the instructor code (latest last). */
  instructorUnlocks: { lab: string; at: string }[];
}

export interface ClassBoardOptions {
  joinCode: string;
  instructorCode: string;
  labs: BoardLab[];
  now?: () => number;
  maxParticipants?: number;
}

const refuse = (status: number, error: string, description: string): Refusal => ({ status, error, description });

/** Reports a participant may send within one REPORT_WINDOW_MS: far above a runner's rate. */
const MAX_REPORTS_PER_WINDOW = 600;
const MAX_UNLOCKS_KEPT = 50;

const canonicalName = (text: string) => text.normalize('NFKC').toLowerCase();

export class ClassBoard {
  readonly labs: BoardLab[];
  readonly #labsById: ReadonlyMap<string, BoardLab>;
  readonly #now: () => number;
  readonly #isJoinCode: (typed: string) => boolean;
  readonly #isInstructorCode: (typed: string) => boolean;
  readonly #maxParticipants: number;
  readonly #participants = new Map<string, Participant & { key: Buffer; nonces: Map<string, number> }>();
  readonly #pendingJoins: PendingJoins;
  /** The scrypt salt of this board run, and the code keys under it (join-handshake.ts). */
  readonly #salt = newSalt();
  readonly #joinKey: Buffer;
  readonly #instructorKey: Buffer;

  constructor(options: ClassBoardOptions) {
    this.labs = options.labs;
    this.#labsById = new Map(options.labs.map((lab) => [lab.id, lab]));
    this.#now = options.now ?? Date.now;
    this.#isJoinCode = codeMatcher(options.joinCode);
    this.#isInstructorCode = codeMatcher(options.instructorCode);
    this.#maxParticipants = options.maxParticipants ?? 200;
    this.#pendingJoins = new PendingJoins(this.#now);
    this.#joinKey = codeKey(options.joinCode, this.#salt);
    this.#instructorKey = codeKey(options.instructorCode, this.#salt);
  }

  /** The role a code grants, or null for a wrong one. */
  roleOf(code: string): Role | null {
    if (this.#isInstructorCode(code)) return 'instructor';
    return this.#isJoinCode(code) ? 'participant' : null;
  }

  #nameTaken(name: string): boolean {
    return [...this.#participants.values()].some((p) => canonicalName(p.name) === canonicalName(name));
  }

  /**
   * The board's half of the handshake: its ephemeral key, a nonce and the salt; the proofs and
   * the report key wait, under the new participant id, for the participant's proof. `from`, the
   * sender's address, bounds how many joins one host keeps waiting (pending-joins.ts).
   */
  joinStart(input: unknown, from = ''): JoinStartAnswer | Refusal {
    const parsed = JoinStart.safeParse(input);
    if (!parsed.success) return refuse(400, 'invalid_request', 'expected {"name": "…", "key": "<X25519, base64url>"}');
    const { name, key: participantKey } = parsed.data;
    if (this.#nameTaken(name))
      return refuse(409, 'name_taken', `someone joined as "${name}" already: pick another name`);
    if (this.#participants.size >= this.#maxParticipants) return refuse(403, 'class_full', 'the class is full');
    try {
      return this.#pendingJoins.start(name, participantKey, this.#salt, this.#joinKey, from);
    } catch (error) {
      if (error instanceof HandshakeError) return refuse(400, 'invalid_key', error.message);
      throw error;
    }
  }

  /**
   * The participant's proof: right, and they join (the board's proof back); wrong, and nobody is
   * recorded (`invalid_code`, which the server counts as a wrong code). One try per start.
   */
  joinFinish(input: unknown): { proof: string } | Refusal {
    const parsed = JoinFinish.safeParse(input);
    if (!parsed.success) return refuse(400, 'invalid_request', 'expected {"participant": "…", "proof": "…"}');
    const { participant: id, proof } = parsed.data;
    const pending = this.#pendingJoins.take(id);
    if (!pending) {
      return refuse(400, 'unknown_join', 'no join in progress under that id: pnpm lab join again');
    }
    if (!proofMatches(proof, pending.keys.participantProof)) {
      return refuse(401, 'invalid_code', 'that join code is not right');
    }
    if (this.#nameTaken(pending.name)) return refuse(409, 'name_taken', `someone joined as "${pending.name}" already`);
    if (this.#participants.size >= this.#maxParticipants) return refuse(403, 'class_full', 'the class is full');
    this.#participants.set(id, {
      id,
      name: pending.name,
      joinedAt: new Date(this.#now()).toISOString(),
      lastReportAt: null,
      labs: {},
      instructorUnlocks: [],
      key: pending.keys.reportKey,
      nonces: new Map(),
    });
    return { proof: pending.keys.boardProof.toString('base64url') };
  }

  /**
   * A signed request from a participant, `body` exactly as received: shape, signature, freshness
   * (`sentAt` within REPORT_WINDOW_MS) and a nonce not seen before, in that order, so that nothing
   * about an unauthenticated body is acted on. The nonce is recorded by `accept`.
   */
  #authenticate<T extends { participant: string; sentAt: number; nonce: string }>(
    body: string,
    signature: string | undefined,
    schema: z.ZodType<T>,
    sign: (key: Buffer, body: string) => string,
  ): { request: T; participant: Participant & { key: Buffer }; accept: () => void } | Refusal {
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      return refuse(400, 'invalid_request', 'the body is not JSON');
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success)
      return refuse(400, 'invalid_request', `not a valid request: ${parsed.error.issues[0]?.message}`);
    const request = parsed.data;
    const participant = this.#participants.get(request.participant);
    if (!participant || !proofMatches(signature, Buffer.from(sign(participant.key, body), 'base64url'))) {
      return refuse(401, 'invalid_signature', 'not signed by a participant of this board: pnpm lab join again');
    }
    const now = this.#now();
    if (Math.abs(now - request.sentAt) > REPORT_WINDOW_MS) {
      return refuse(401, 'stale_report', 'sent too long ago, or this laptop’s clock is off by minutes');
    }
    for (const [nonce, sentAt] of participant.nonces) {
      if (Math.abs(now - sentAt) > REPORT_WINDOW_MS) participant.nonces.delete(nonce);
    }
    // A nonce is remembered for as long as its request could pass the freshness check: replay-proof.
    if (participant.nonces.has(request.nonce))
      return refuse(409, 'replayed_report', 'this request was received already');
    if (participant.nonces.size >= MAX_REPORTS_PER_WINDOW) return refuse(429, 'too_many_reports', 'slow down');
    return { request, participant, accept: () => participant.nonces.set(request.nonce, request.sentAt) };
  }

  /**
   * A runner asking whether the instructor code typed on it is right (instructor-unlock.ts): a
   * signed, fresh request; a wrong proof is `invalid_code` (the server counts it), a right one is
   * recorded on this participant's row and answered with the board's proof.
   */
  unlock(body: string, signature: string | undefined): { proof: string } | Refusal {
    const checked = this.#authenticate(body, signature, Unlock, signUnlock);
    if ('status' in checked) return checked;
    const { request, participant, accept } = checked;
    accept();
    if (!this.#labsById.has(request.lab)) return refuse(400, 'unknown_lab', `this board has no lab "${request.lab}"`);
    if (!proofMatches(request.proof, unlockRequestProof(participant.key, this.#instructorKey, request))) {
      return refuse(401, 'invalid_code', 'that is not the instructor code');
    }
    participant.instructorUnlocks = [
      ...participant.instructorUnlocks,
      { lab: request.lab, at: new Date(this.#now()).toISOString() },
    ].slice(-MAX_UNLOCKS_KEPT);
    return { proof: unlockGrantProof(participant.key, this.#instructorKey, request).toString('base64url') };
  }

  /**
   * A runner's report, `body` exactly as received, `signature` its authlab-signature header.
   * Checked in this order, so that nothing about an unauthenticated body is acted on: shape,
   * signature, freshness (`sentAt` within REPORT_WINDOW_MS), a nonce not seen before, known labs.
   */
  report(body: string, signature: string | undefined): null | Refusal {
    const checked = this.#authenticate(body, signature, Report, signReport);
    if ('status' in checked) return checked;
    const { request: report, participant, accept } = checked;
    const now = this.#now();
    const known = this.#labsById;
    const unknown = report.labs.find((lab) => !known.has(lab.lab));
    if (unknown) return refuse(400, 'unknown_lab', `this board has no lab "${unknown.lab}"`);
    const tooMany = report.labs.find((lab) => lab.hintsUsed > (known.get(lab.lab)?.hintTiers ?? 0));
    if (tooMany) return refuse(400, 'invalid_request', `${tooMany.lab} has fewer hints than that`);
    accept();
    for (const { lab, ...state } of report.labs) {
      const previous = participant.labs[lab];
      if (!previous || previous.reportedAt <= report.sentAt)
        participant.labs[lab] = { ...state, reportedAt: report.sentAt };
    }
    participant.lastReportAt = new Date(now).toISOString();
    return null;
  }

  /** Every participant with every lab's state: the instructor's view. */
  instructorView(): { labs: BoardLab[]; participants: Participant[] } {
    const participants = [...this.#participants.values()].map(({ key: _key, nonces: _nonces, ...shown }) => ({
      ...shown,
      labs: { ...shown.labs },
      instructorUnlocks: [...shown.instructorUnlocks],
    }));
    return { labs: this.labs, participants };
  }

  /** Counts only: what a join-code holder sees. */
  participantView(): { participants: number; labs: { id: string; title: string; started: number; solved: number }[] } {
    const all = [...this.#participants.values()];
    const count = (id: string, statuses: string[]) =>
      all.filter((p) => statuses.includes(p.labs[id]?.status ?? 'not started')).length;
    return {
      participants: all.length,
      labs: this.labs.map((lab) => ({
        id: lab.id,
        title: lab.title,
        started: count(lab.id, ['started', 'solved', 'tampered']),
        solved: count(lab.id, ['solved']),
      })),
    };
  }
}
