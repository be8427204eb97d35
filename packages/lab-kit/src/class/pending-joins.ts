/**
 * The board's side of joins in progress (join-handshake.ts): a start computes the board's
 * ephemeral key, the shared secret and, under the new participant id, the proofs and report key
 * that wait for the participant's proof. A join in progress lives JOIN_TTL_MS and is taken once
 * (a wrong proof cannot be retried against it). At most MAX_PENDING_PER_ADDRESS wait per address
 * and MAX_PENDING_JOINS in all, oldest dropped: one host flooding starts (they need no code)
 * pushes out only its own, never a classmate's join between its start and its finish.
 */
import { randomBytes } from 'node:crypto';
import { ephemeralKey, type HandshakeKeys, handshakeKeys, sharedSecret } from './join-handshake.ts';
import type { JoinStartAnswer } from './protocol.ts';

const JOIN_TTL_MS = 60_000;
const MAX_PENDING_JOINS = 200;
const MAX_PENDING_PER_ADDRESS = 8;

export interface PendingJoin {
  name: string;
  /** The address the start came from. */
  from: string;
  keys: HandshakeKeys;
  expiresAt: number;
}

export class PendingJoins {
  readonly #pending = new Map<string, PendingJoin>();
  readonly #now: () => number;

  constructor(now: () => number) {
    this.#now = now;
  }

  /** The board's answer to a start; throws HandshakeError for a key that is no X25519 point. */
  start(name: string, participantKey: string, salt: string, joinKey: Buffer, from: string): JoinStartAnswer {
    const own = ephemeralKey();
    const secret = sharedSecret(own.privateKey, participantKey);
    const now = this.#now();
    const fromThere: string[] = [];
    for (const [id, pending] of this.#pending) {
      if (pending.expiresAt <= now) this.#pending.delete(id);
      else if (pending.from === from) fromThere.push(id);
    }
    if (fromThere.length >= MAX_PENDING_PER_ADDRESS) this.#pending.delete(fromThere[0] as string);
    else if (this.#pending.size >= MAX_PENDING_JOINS) this.#pending.delete(this.#pending.keys().next().value as string);
    const transcript = {
      name,
      participant: randomBytes(16).toString('base64url'),
      participantKey,
      boardKey: own.publicKey,
      nonce: randomBytes(16).toString('base64url'),
      salt,
    };
    this.#pending.set(transcript.participant, {
      name,
      from,
      keys: handshakeKeys(secret, joinKey, transcript),
      expiresAt: now + JOIN_TTL_MS,
    });
    return { participant: transcript.participant, key: own.publicKey, nonce: transcript.nonce, salt };
  }

  /** The join in progress under `id`, once; null when there is none or it expired. */
  take(id: string): PendingJoin | null {
    const pending = this.#pending.get(id);
    this.#pending.delete(id);
    return pending && pending.expiresAt > this.#now() ? pending : null;
  }
}
