/** When a cached verification may be reused: `notBefore <= now < notAfter`, in ms. */
export interface ValidityWindow {
  notBefore: number;
  notAfter: number;
}

export interface VerifiedTokenCacheOptions {
  /** The most tokens kept; the least recently used goes first (default 10 000). */
  maxEntries?: number;
}

/**
 * The window in which a JWT that passed verification at some instant would pass the time checks
 * again, with jose's exact rules (whole seconds, `clockTolerance`): `exp`, `nbf`, and with
 * `maxTokenAgeSec` the `iat` age and "iat in the future" checks. A cached verification is never
 * reused outside it, so a cache never extends a token's life by a millisecond.
 *
 * @example
 * claimsWindow({ iat: 1000, exp: 1900 }, { toleranceSec: 5 }); // { notBefore: -Infinity, notAfter: 1_905_000 }
 */
export function claimsWindow(
  claims: { iat?: unknown; exp?: unknown; nbf?: unknown },
  options: { toleranceSec: number; maxTokenAgeSec?: number },
): ValidityWindow {
  const tolerance = options.toleranceSec;
  const number = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);
  const iat = number(claims.iat);
  const exp = number(claims.exp);
  const nbf = number(claims.nbf);
  let notBefore = Number.NEGATIVE_INFINITY;
  let notAfter = Number.POSITIVE_INFINITY;
  // jose: refused when `exp <= floor(now / 1000) - tolerance`.
  if (exp !== undefined) notAfter = Math.min(notAfter, (exp + tolerance) * 1000);
  // jose: refused when `nbf > floor(now / 1000) + tolerance`.
  if (nbf !== undefined) notBefore = Math.max(notBefore, (nbf - tolerance) * 1000);
  if (options.maxTokenAgeSec !== undefined) {
    // No iat with a maximum age: jose refuses it, so the window is empty.
    if (iat === undefined) return { notBefore: 0, notAfter: 0 };
    // jose: refused when `now - iat - tolerance > maxTokenAge`, or `now - iat < -tolerance`.
    notAfter = Math.min(notAfter, (iat + options.maxTokenAgeSec + tolerance + 1) * 1000);
    notBefore = Math.max(notBefore, (iat - tolerance) * 1000);
  }
  return { notBefore, notAfter };
}

interface Entry<T> {
  value: T;
  window: ValidityWindow;
}

/**
 * A bounded LRU map from a token string to what verifying it produced (its claims), so a token
 * seen again skips the signature check. Only the signature and the static claims are remembered:
 * a hit is refused outside the token's validity window on the caller's clock, and everything that
 * can change — revocation, a disabled account, a key leaving the ring — is the caller's to check
 * on every request, cached or not. Only tokens that passed verification go in, so forged tokens
 * cannot fill it.
 *
 * @example
 * const cache = new VerifiedTokenCache<AccessClaims>({ maxEntries: 10_000 });
 * let claims = cache.get(token, clock());
 * if (!claims) {
 *   claims = await verifySignatureAndClaims(token);
 *   cache.set(token, claims, claimsWindow(claims, { toleranceSec: 5 }));
 * }
 * await checkRevocation(claims); // always
 */
export class VerifiedTokenCache<T> {
  readonly maxEntries: number;
  readonly #entries = new Map<string, Entry<T>>();

  constructor(options: VerifiedTokenCacheOptions = {}) {
    const maxEntries = options.maxEntries ?? 10_000;
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError('maxEntries must be a positive integer');
    this.maxEntries = maxEntries;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The value cached for `token` if `now` (ms) is inside its window; an entry outside it is dropped. */
  get(token: string, now: number): T | undefined {
    const entry = this.#entries.get(token);
    if (!entry) return undefined;
    this.#entries.delete(token);
    if (now < entry.window.notBefore || now >= entry.window.notAfter) return undefined;
    // Re-inserted at the end: Map keeps insertion order, so the first key is the least recently used.
    this.#entries.set(token, entry);
    return entry.value;
  }

  /** Remembers a token that has just passed verification, for as long as `window` allows. */
  set(token: string, value: T, window: ValidityWindow): void {
    if (!(window.notAfter > window.notBefore)) return;
    this.#entries.delete(token);
    while (this.#entries.size >= this.maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done) break;
      this.#entries.delete(oldest.value);
    }
    this.#entries.set(token, { value, window });
  }

  delete(token: string): void {
    this.#entries.delete(token);
  }

  clear(): void {
    this.#entries.clear();
  }
}
