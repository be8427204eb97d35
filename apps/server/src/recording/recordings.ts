import { randomBytes } from 'node:crypto';
import { Recording } from '@authlab/sequence';
import type { Clock } from '@authlab/store';

/** A recording nobody has looked at or added to for this long is dropped. */
const IDLE_TTL_MS = 60 * 60_000;
/** At most this many browsers record at once (each is a few hundred short messages at most). */
const MAX_RECORDINGS = 100;

interface Entry {
  recording: Recording;
  lastUsedAt: number;
}

/**
 * The traffic recordings of this server instance, in memory, one per browser or app that asked for
 * one (the `/compare` page does). Off for everyone else: a request without a recording's id is not
 * looked at. Bounded in number and in age; an instance behind a load balancer records only the
 * requests it served (a teaching aid, not an audit log).
 */
export class TrafficRecordings {
  readonly #clock: Clock;
  readonly #entries = new Map<string, Entry>();
  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** A new recording; its id (128 random bits) is the only way to reach it. */
  start(): string {
    this.#sweep();
    if (this.#entries.size >= MAX_RECORDINGS) {
      const oldest = [...this.#entries].sort((a, b) => a[1].lastUsedAt - b[1].lastUsedAt)[0];
      if (oldest) this.#entries.delete(oldest[0]);
    }
    const id = randomBytes(16).toString('base64url');
    this.#entries.set(id, { recording: new Recording(), lastUsedAt: this.#clock() });
    return id;
  }

  get(id: string | undefined): Recording | undefined {
    if (!id) return undefined;
    const entry = this.#entries.get(id);
    if (!entry) return undefined;
    const now = this.#clock();
    if (now - entry.lastUsedAt > IDLE_TTL_MS) {
      this.#entries.delete(id);
      return undefined;
    }
    entry.lastUsedAt = now;
    return entry.recording;
  }

  stop(id: string | undefined): void {
    if (id) this.#entries.delete(id);
  }

  #sweep(): void {
    const now = this.#clock();
    for (const [id, entry] of this.#entries) if (now - entry.lastUsedAt > IDLE_TTL_MS) this.#entries.delete(id);
  }
}

/** The recording's cookie: `__Host-` where Secure, HttpOnly (no script needs the id), Lax. */
export const recordingCookieName = (secure: boolean) => (secure ? '__Host-authlab.rec' : 'authlab.rec');
