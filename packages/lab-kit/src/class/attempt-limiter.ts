/**
 * Failed codes per client address: after `limit` failures within `windowMs`, the address is
 * refused (429 with Retry-After) until the oldest failure leaves the window, right codes
 * included, so guessing cannot go on in parallel with one lucky request (OWASP ASVS 4.0.3
 * V2.2.1, anti-automation). The clock is injected, so tests need not wait.
 */
export interface AttemptLimiter {
  /** Seconds until the address may try again; 0 when it may now. */
  retryAfter(address: string): number;
  fail(address: string): void;
}

export function attemptLimiter(options: { limit?: number; windowMs?: number; now: () => number }): AttemptLimiter {
  const limit = options.limit ?? 5;
  const windowMs = options.windowMs ?? 60_000;
  const failures = new Map<string, number[]>();
  const recent = (address: string) => {
    const since = options.now() - windowMs;
    const kept = (failures.get(address) ?? []).filter((at) => at > since);
    if (kept.length > 0) failures.set(address, kept);
    else failures.delete(address);
    return kept;
  };
  return {
    retryAfter(address) {
      const kept = recent(address);
      if (kept.length < limit) return 0;
      return Math.max(1, Math.ceil(((kept[kept.length - limit] as number) + windowMs - options.now()) / 1000));
    },
    fail(address) {
      failures.set(address, [...recent(address), options.now()]);
    },
  };
}
