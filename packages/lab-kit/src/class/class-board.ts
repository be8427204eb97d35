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
 * got at join.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { codeMatcher } from './codes.ts';
import { JoinRequest, type LabReport, REPORT_WINDOW_MS, Report, signReport } from './protocol.ts';

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

export class ClassBoard {
  readonly labs: BoardLab[];
  readonly #now: () => number;
  readonly #isJoinCode: (typed: string) => boolean;
  readonly #isInstructorCode: (typed: string) => boolean;
  readonly #maxParticipants: number;
  readonly #participants = new Map<string, Participant & { key: Buffer; nonces: Map<string, number> }>();

  constructor(options: ClassBoardOptions) {
    this.labs = options.labs;
    this.#now = options.now ?? Date.now;
    this.#isJoinCode = codeMatcher(options.joinCode);
    this.#isInstructorCode = codeMatcher(options.instructorCode);
    this.#maxParticipants = options.maxParticipants ?? 200;
  }

  /** The role a code grants, or null for a wrong one. */
  roleOf(code: string): Role | null {
    if (this.#isInstructorCode(code)) return 'instructor';
    return this.#isJoinCode(code) ? 'participant' : null;
  }

  /** A new participant, for the right join code and a name nobody has yet. */
  join(input: unknown): { participant: string; key: string } | Refusal {
    const parsed = JoinRequest.safeParse(input);
    if (!parsed.success) return refuse(400, 'invalid_request', 'expected {"code": "…", "name": "…"}');
    const { code, name } = parsed.data;
    if (!this.#isJoinCode(code)) return refuse(401, 'invalid_code', 'that is not the join code');
    const canonical = (text: string) => text.normalize('NFKC').toLowerCase();
    if ([...this.#participants.values()].some((p) => canonical(p.name) === canonical(name))) {
      return refuse(409, 'name_taken', `someone joined as "${name}" already: pick another name`);
    }
    if (this.#participants.size >= this.#maxParticipants) return refuse(403, 'class_full', 'the class is full');
    const id = randomBytes(16).toString('base64url');
    const key = randomBytes(32);
    this.#participants.set(id, {
      id,
      name,
      joinedAt: new Date(this.#now()).toISOString(),
      lastReportAt: null,
      labs: {},
      key,
      nonces: new Map(),
    });
    return { participant: id, key: key.toString('base64url') };
  }

  /**
   * A runner's report, `body` exactly as received, `signature` its authlab-signature header.
   * Checked in this order, so that nothing about an unauthenticated body is acted on: shape,
   * signature, freshness (`sentAt` within REPORT_WINDOW_MS), a nonce not seen before, known labs.
   */
  report(body: string, signature: string | undefined): null | Refusal {
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      return refuse(400, 'invalid_request', 'the body is not JSON');
    }
    const parsed = Report.safeParse(json);
    if (!parsed.success) return refuse(400, 'invalid_request', `not a report: ${parsed.error.issues[0]?.message}`);
    const report = parsed.data;
    const participant = this.#participants.get(report.participant);
    const expected = participant ? Buffer.from(signReport(participant.key, body), 'base64url') : null;
    const given = Buffer.from(signature ?? '', 'base64url');
    if (!participant || !expected || given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return refuse(401, 'invalid_signature', 'not signed by a participant of this board: pnpm lab join again');
    }
    const now = this.#now();
    if (Math.abs(now - report.sentAt) > REPORT_WINDOW_MS) {
      return refuse(401, 'stale_report', 'sent too long ago, or this laptop’s clock is off by minutes');
    }
    for (const [nonce, sentAt] of participant.nonces) {
      if (Math.abs(now - sentAt) > REPORT_WINDOW_MS) participant.nonces.delete(nonce);
    }
    // A nonce is remembered for as long as its report could pass the freshness check: replay-proof.
    if (participant.nonces.has(report.nonce)) return refuse(409, 'replayed_report', 'this report was received already');
    if (participant.nonces.size >= MAX_REPORTS_PER_WINDOW) return refuse(429, 'too_many_reports', 'slow down');
    const known = new Map(this.labs.map((lab) => [lab.id, lab]));
    const unknown = report.labs.find((lab) => !known.has(lab.lab));
    if (unknown) return refuse(400, 'unknown_lab', `this board has no lab "${unknown.lab}"`);
    const tooMany = report.labs.find((lab) => lab.hintsUsed > (known.get(lab.lab)?.hintTiers ?? 0));
    if (tooMany) return refuse(400, 'invalid_request', `${tooMany.lab} has fewer hints than that`);
    participant.nonces.set(report.nonce, report.sentAt);
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
