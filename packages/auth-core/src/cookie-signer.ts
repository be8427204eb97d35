import { createHmac, createSecretKey, type KeyObject, timingSafeEqual } from 'node:crypto';

/**
 * Signs and checks cookie values with the session keys: a drop-in for Keygrip (what Koa's cookie
 * library uses for `signed` cookies, with the same output — HMAC-SHA1, base64url — so cookies
 * already issued stay valid), minus its per-request cost. Keygrip passes the key as a string, so
 * Node re-imports it for every HMAC, and compares through `tsscmp`, which draws 32 random bytes
 * and computes two more HMACs, with a Buffer key (Node's slowest path), for every check. Here each
 * key is imported once and the comparison is `crypto.timingSafeEqual`: equally constant-time for
 * the secret part, since a signature's length is public (always 27 characters).
 *
 * @example
 * app.keys = new CookieSigner(secrets.sessionKeys); // first key signs, every key verifies
 * const digest = signer.sign('authlab.sid=…');
 * signer.index('authlab.sid=…', digest); // 0 — the key that signed it, or -1
 */
export class CookieSigner {
  readonly #keys: KeyObject[];
  /**
   * Signatures already checked and found good: `digest + data` → the key's index. The
   * keys never change for an instance, so the answer for a pair never changes either; a browser
   * sends the same pair with every request, and a hit skips the HMAC. Only pairs that verified
   * go in (a forged or random signature always takes the full check, so junk cannot fill it),
   * a hit needs the exact pair (no partial match to time), and it is bounded: the oldest entry
   * leaves when it is full. Every good digest has the same length, so `digest + data` is
   * unambiguous; a digest of any other length is never looked up.
   */
  readonly #verified = new Map<string, number>();
  readonly #maxVerified: number;
  readonly #digestLength: number;

  constructor(keys: readonly string[], options: { maxVerified?: number } = {}) {
    if (keys.length === 0) throw new Error('at least one cookie signing key is required');
    this.#keys = keys.map((key) => createSecretKey(Buffer.from(key, 'utf8')));
    this.#maxVerified = options.maxVerified ?? 10_000;
    this.#digestLength = this.sign('').length;
  }

  #digest(data: string, key: KeyObject): Buffer {
    return createHmac('sha1', key).update(data).digest();
  }

  /** The signature of `data` with the first (current) key, in Keygrip's format. */
  sign(data: string): string {
    return this.#digest(data, this.#keys[0] as KeyObject).toString('base64url');
  }

  verify(data: string, digest: string): boolean {
    return this.index(data, digest) > -1;
  }

  /** Which key signed `data` (0 is current; a later one tells the caller to re-sign), or -1. */
  index(data: string, digest: string): number {
    if (typeof digest !== 'string' || typeof data !== 'string') return -1;
    const pair = digest.length === this.#digestLength ? digest + data : null;
    const known = pair === null ? undefined : this.#verified.get(pair);
    if (known !== undefined) return known;
    const presented = Buffer.from(digest, 'utf8');
    for (let i = 0; i < this.#keys.length; i++) {
      const expected = Buffer.from(this.#digest(data, this.#keys[i] as KeyObject).toString('base64url'), 'utf8');
      if (presented.length === expected.length && timingSafeEqual(presented, expected)) {
        if (pair !== null && this.#maxVerified > 0) {
          if (this.#verified.size >= this.#maxVerified)
            this.#verified.delete(this.#verified.keys().next().value as string);
          this.#verified.set(pair, i);
        }
        return i;
      }
    }
    return -1;
  }
}
