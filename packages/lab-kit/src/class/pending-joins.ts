/**
 * The board's side of joins in progress (join-handshake.ts): a start computes the board's
 * ephemeral key, the shared secret and, under the new participant id, the proofs and report key
 * that wait for the participant's proof. A join in progress lives JOIN_TTL_MS and is taken once
 * (a wrong proof cannot be retried against it); at most MAX_PENDING_JOINS wait, oldest dropped.
 */
import { randomBytes } from 'node:crypto';
import { ephemeralKey, type HandshakeKeys, handshakeKeys, sharedSecret } from './join-handshake.ts';

const JOIN_TTL_MS = 60_000;
const MAX_PENDING_JOINS = 200;

export interface PendingJoin {
  name: string;
  keys: HandshakeKeys;
  expiresAt: number;
}

export interface JoinStartAnswer {
  participant: string;
  key: string;
  nonce: string;
  salt: string;
}

export class PendingJoins {
  readonly #pending = new Map<string, PendingJoin>();
  readonly #now: () => number;

  constructor(now: () => number) {
    this.#now = now;
  }

  /** The board's answer to a start; throws HandshakeError for a key that is no X25519 point. */
  start(name: string, participantKey: string, salt: string, joinKey: Buffer): JoinStartAnswer {
    const own = ephemeralKey();
    const secret = sharedSecret(own.privateKey, participantKey);
    const now = this.#now();
    for (const [id, pending] of this.#pending) if (pending.expiresAt <= now) this.#pending.delete(id);
    if (this.#pending.size >= MAX_PENDING_JOINS) this.#pending.delete(this.#pending.keys().next().value as string);
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
