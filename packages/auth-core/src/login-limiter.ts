import type { AttemptBucket, AttemptCounterRepository } from '@authlab/store';
import { tooManyAttempts } from './errors.ts';

export interface LoginLimits {
  /** Failures per IP+account before that pair is refused (OWASP: lock the pair, not the account). */
  pairFailures: number;
  pairWindowSec: number;
  /** Broad: failures per IP across all accounts (credential stuffing from one address). */
  ipFailures: number;
  ipWindowSec: number;
  /** Failures per account across all IPs after which every attempt on it is slowed down. */
  accountSlowdownAfter: number;
  accountWindowSec: number;
  /** The delay doubles with each failure past the threshold, up to the maximum. */
  slowdownBaseMs: number;
  slowdownMaxMs: number;
}

export const DEFAULT_LOGIN_LIMITS: LoginLimits = {
  pairFailures: 5,
  pairWindowSec: 15 * 60,
  ipFailures: 100,
  ipWindowSec: 15 * 60,
  accountSlowdownAfter: 10,
  accountWindowSec: 60 * 60,
  slowdownBaseMs: 250,
  slowdownMaxMs: 8_000,
};

/**
 * For load tests and test suites only, never for a deployment: no block and no slow-down, so a
 * burst of logins from one address (or arbitrary failing ones) is neither refused nor delayed.
 * Used by the bench target (`bench/child/authlab.ts`) and the hostile-input suites.
 */
export const OPEN_LOGIN_LIMITS: LoginLimits = {
  pairFailures: 1_000_000,
  pairWindowSec: 60,
  ipFailures: 1_000_000,
  ipWindowSec: 60,
  accountSlowdownAfter: 1_000_000,
  accountWindowSec: 60,
  slowdownBaseMs: 1,
  slowdownMaxMs: 1,
};

export interface LoginLimiterOptions {
  /** The store's counters (`store.attempts`): SQLite or Redis, shared by every instance. */
  counters: AttemptCounterRepository;
  limits?: LoginLimits;
  /** Injected so tests can observe the slow-down without waiting for it. */
  sleep?: (ms: number) => Promise<void>;
}

/** A counted login attempt: its points stay (a failure) unless the caller reports a success. */
export interface LoginAttempt {
  /** The password was right: the pair starts again from zero and the IP and account get their point back. */
  succeeded(): Promise<void>;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Login throttling in three layers: a hard block per IP+account, a broad block per IP, and a
 * progressive slow-down per account across IPs, which never refuses the owner who signs in from a
 * clean address (OWASP Authentication Cheat Sheet, "Protect against automated attacks").
 *
 * Every attempt is counted *before* its password is checked, in one atomic step on the store, and
 * refunded only on success: N concurrent guesses get at most the limit's number of password
 * checks, and each one's slow-down counts the others in flight (ASVS 4.0.3 V2.2.1).
 *
 * @example
 * const limiter = new LoginLimiter({ counters: store.attempts });
 * const attempt = await limiter.reserve(ip, email); // throws too_many_attempts (429) when blocked
 * if (passwordIsRight) await attempt.succeeded();
 */
export class LoginLimiter {
  readonly limits: LoginLimits;
  readonly #counters: AttemptCounterRepository;
  readonly #sleep: (ms: number) => Promise<void>;

  constructor(options: LoginLimiterOptions) {
    this.limits = options.limits ?? DEFAULT_LOGIN_LIMITS;
    this.#counters = options.counters;
    this.#sleep = options.sleep ?? realSleep;
  }

  /**
   * Counts this attempt against the pair, the IP and the account, or throws `too_many_attempts`
   * (counting nothing) while the pair or the IP is full; then waits out the account's slow-down.
   */
  async reserve(ip: string, account: string): Promise<LoginAttempt> {
    const { limits } = this;
    const [pair, byIp, byAccount] = [pairKey(ip, account), `login:ip:${ip}`, `login:account:${account}`];
    const buckets: AttemptBucket[] = [
      { key: pair, limit: limits.pairFailures, windowMs: limits.pairWindowSec * 1000 },
      { key: byIp, limit: limits.ipFailures, windowMs: limits.ipWindowSec * 1000 },
      // The account counter never refuses: it only slows down.
      { key: byAccount, limit: null, windowMs: limits.accountWindowSec * 1000 },
    ];
    const reservation = await this.#counters.reserve(buckets);
    if (!reservation.granted) throw tooManyAttempts(Math.max(1, Math.ceil(reservation.retryAfterMs / 1000)));
    // The attempts counted before this one, finished or still in flight.
    const delay = this.slowdownFor((reservation.counts[2] ?? 1) - 1);
    if (delay > 0) await this.#sleep(delay);
    return {
      succeeded: async () => {
        await this.#counters.clear([pair]);
        // Only this attempt's own point: earlier failures from the IP or on the account stay.
        await this.#counters.release([byIp, byAccount]);
      },
    };
  }

  /** The slow-down, in ms, for an account with this many recent failures. */
  slowdownFor(accountFailures: number): number {
    const over = accountFailures - this.limits.accountSlowdownAfter;
    if (over < 0) return 0;
    return Math.min(this.limits.slowdownMaxMs, this.limits.slowdownBaseMs * 2 ** Math.min(over, 30));
  }
}

const pairKey = (ip: string, account: string) => `login:pair:${ip}|${account}`;
