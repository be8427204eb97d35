/**
 * The join handshake, both ends: the participant and the board each prove they know the join code
 * without sending it, and agree on the participant's report key without sending that either.
 *
 *   participant → board  POST /join/start   {name, key: participant's X25519 public key}
 *   board → participant  200 {participant, key: board's X25519 public key, nonce, salt}
 *   participant → board  POST /join/finish  {participant, proof}
 *   board → participant  201 {proof}
 *
 * Both ends compute the X25519 shared secret from the ephemeral keys, and from it, with
 * HKDF-SHA256 (RFC 5869) salted by `codeKey` = scrypt(join code, salt), three values bound to the
 * transcript (every field above): the participant's proof, the board's proof and the report key.
 * So:
 * - a passive listener sees neither the code nor the key, and cannot even test guesses of the code
 *   offline: every proof also depends on the shared secret, which it does not have;
 * - an active attacker without the code who swaps a public key gets proofs that do not verify (the
 *   board answers 401 and counts it as a wrong code; the participant refuses the board's proof);
 * - an attacker who poses as the board to a participant gets one proof it can test guesses against
 *   offline, each guess costing one scrypt (N = 2^15, r = 8: ~32 MiB and ~0.1 s): with the join
 *   code's 60 bits that is ~2^59 scrypt runs, far beyond any workshop. This is not a PAKE (SPAKE2,
 *   CPace), which would rule that attempt out, but node:crypto has none; the stretched 60-bit code
 *   makes the difference irrelevant here.
 * The board proves itself only after the participant has, so posing as a participant to the board
 * yields nothing to test guesses against.
 */
import {
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  type KeyObject,
  randomBytes,
  scryptSync,
} from 'node:crypto';
import { normaliseCode } from './codes.ts';

/** scrypt cost for a code key: fixed here, never taken from the other end (no downgrade). */
const SCRYPT = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 } as const;

/** The key a code stands for under `salt` (base64url): slow on purpose, computed once per join. */
export function codeKey(code: string, salt: string): Buffer {
  return scryptSync(normaliseCode(code), Buffer.from(salt, 'base64url'), 32, SCRYPT);
}

export const newSalt = (): string => randomBytes(16).toString('base64url');

export interface EphemeralKey {
  /** The raw 32-byte public key, base64url (what goes over the wire). */
  publicKey: string;
  privateKey: KeyObject;
}

export function ephemeralKey(): EphemeralKey {
  const { publicKey, privateKey } = generateKeyPairSync('x25519');
  return { publicKey: publicKey.export({ format: 'jwk' }).x as string, privateKey };
}

export class HandshakeError extends Error {
  readonly code = 'invalid_key';
}

/** The X25519 shared secret; a key that is not a point, or gives the all-zero secret, is refused. */
export function sharedSecret(own: KeyObject, theirs: string): Buffer {
  let secret: Buffer;
  try {
    const publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: theirs }, format: 'jwk' });
    secret = diffieHellman({ privateKey: own, publicKey });
  } catch {
    throw new HandshakeError('not an X25519 public key');
  }
  // A small-order point gives the all-zero secret: known to anyone (RFC 7748 §6.1).
  if (secret.every((byte) => byte === 0)) throw new HandshakeError('a small-order X25519 key');
  return secret;
}

export interface Transcript {
  name: string;
  participant: string;
  participantKey: string;
  boardKey: string;
  nonce: string;
  salt: string;
}

export interface HandshakeKeys {
  participantProof: Buffer;
  boardProof: Buffer;
  reportKey: Buffer;
}

/** The three values both ends derive; a JSON array, so no field can shift into another. */
export function handshakeKeys(secret: Buffer, codeKeyBytes: Buffer, transcript: Transcript): HandshakeKeys {
  const bound = JSON.stringify([
    'authlab-class-join/2',
    transcript.name,
    transcript.participant,
    transcript.participantKey,
    transcript.boardKey,
    transcript.nonce,
    transcript.salt,
  ]);
  const derive = (purpose: string) => Buffer.from(hkdfSync('sha256', secret, codeKeyBytes, `${purpose}\n${bound}`, 32));
  return {
    participantProof: derive('participant proof'),
    boardProof: derive('board proof'),
    reportKey: derive('report key'),
  };
}
