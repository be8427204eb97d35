import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

// The reuse grace window (RFC 9700 §4.14.2 leaves the retry case open): a rotated refresh token
// presented again shortly after its rotation gets the successor it was rotated into, so an answer
// lost on the way (a store stall, a dropped connection) does not turn an honest retry into a
// revoked family. The store must then keep the successor, but a stored refresh token must never be
// usable by whoever reads the database (tokens are stored only as SHA-256). So the successor is
// sealed with a key that only the *presented* token yields: HKDF-SHA256 over the token (unrelated
// to its stored SHA-256), AES-256-GCM. The store hands the sealed value back only to a request
// that matched the token's hash; opening it needs the token itself.

const INFO = 'authlab refresh-token successor v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

const keyOf = (presentedToken: string) => Buffer.from(hkdfSync('sha256', presentedToken, '', INFO, 32));

/**
 * Seals `successor` so that only `presentedToken` opens it. Random IV per seal; the result is
 * base64url `iv ‖ ciphertext ‖ tag`.
 *
 * @example
 * const sealed = sealSuccessor(oldToken, newToken); // stored beside the rotation
 * openSuccessor(oldToken, sealed) === newToken;     // true; any other token opens nothing
 */
export function sealSuccessor(presentedToken: string, successor: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', keyOf(presentedToken), iv);
  const body = Buffer.concat([cipher.update(successor, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url');
}

/** The successor sealed for `presentedToken`, or null when it was sealed for another token or altered. */
export function openSuccessor(presentedToken: string, sealed: string): string | null {
  const bytes = Buffer.from(sealed, 'base64url');
  if (bytes.length <= IV_BYTES + TAG_BYTES) return null;
  try {
    const decipher = createDecipheriv('aes-256-gcm', keyOf(presentedToken), bytes.subarray(0, IV_BYTES));
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
    const body = bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES);
    return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
  } catch {
    return null; // the GCM tag did not verify
  }
}
