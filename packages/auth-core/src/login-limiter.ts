import { StoreUnavailableError } from '@authlab/store';
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
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
  limits?: LoginLimits;
  /** Shared counters for several instances; in-process memory otherwise (one instance). */
  redis?: Redis;
  keyPrefix?: string;
  /** Injected so tests can observe the slow-down without waiting for it. */
  sleep?: (ms: number) => Promise<void>;
}

type Limiter = RateLimiterMemory | RateLimiterRedis;

/**
 * rate-limiter-flexible rejects with a RateLimiterRes when over the limit, with an Error when its
 * store fails; the latter becomes `StoreUnavailableError` (503, fail closed), never a 500.
 */
function rethrowStoreError(error: unknown): never | null {
  if (error instanceof RateLimiterRes) return null;
  throw new StoreUnavailableError(`login limiter: ${(error as Error)?.message ?? error}`, { cause: error });
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Login throttling in three layers: a hard block per IP+account, a broad block per IP, and a
 * progressive slow-down per account across IPs, which never refuses the owner who signs in from a
 * clean address (OWASP Authentication Cheat Sheet, "Protect against automated attacks").
 *
 * @example
 * const limiter = new LoginLimiter();
 * await limiter.beforeAttempt(ip, email);      // throws too_many_attempts (429) when blocked
 * ok ? await limiter.onSuccess(ip, email) : await limiter.onFailure(ip, email);
 */
export class LoginLimiter {
  readonly limits: LoginLimits;
  readonly #pair: Limiter;
  readonly #ip: Limiter;
  readonly #account: Limiter;
  readonly #sleep: (ms: number) => Promise<void>;

  constructor(options: LoginLimiterOptions = {}) {
    const limits = options.limits ?? DEFAULT_LOGIN_LIMITS;
    this.limits = limits;
    this.#sleep = options.sleep ?? realSleep;
    const prefix = options.keyPrefix ?? 'authlab:login';
    const make = (name: string, points: number, duration: number): Limiter =>
      options.redis
        ? new RateLimiterRedis({
            storeClient: options.redis,
            keyPrefix: `${prefix}:${name}`,
            points,
            duration,
            // Fail closed at once when Redis is down (the caller answers 503).
            rejectIfRedisNotReady: true,
          })
        : new RateLimiterMemory({ keyPrefix: `${prefix}:${name}`, points, duration });
    this.#pair = make('pair', limits.pairFailures, limits.pairWindowSec);
    this.#ip = make('ip', limits.ipFailures, limits.ipWindowSec);
    // The account counter keeps counting past the threshold; it only ever slows down.
    this.#account = make('account', Number.MAX_SAFE_INTEGER, limits.accountWindowSec);
  }

  /** Throws `too_many_attempts` while the IP+account pair or the IP is blocked; waits out the slow-down. */
  async beforeAttempt(ip: string, account: string): Promise<void> {
    const [pair, byIp, byAccount] = await Promise.all([
      this.#pair.get(pairKey(ip, account)).catch(rethrowStoreError),
      this.#ip.get(ip).catch(rethrowStoreError),
      this.#account.get(account).catch(rethrowStoreError),
    ]);
    const blocked = [
      pair && pair.consumedPoints >= this.limits.pairFailures ? pair.msBeforeNext : 0,
      byIp && byIp.consumedPoints >= this.limits.ipFailures ? byIp.msBeforeNext : 0,
    ];
    const waitMs = Math.max(...blocked);
    if (waitMs > 0) throw tooManyAttempts(Math.max(1, Math.ceil(waitMs / 1000)));
    const delay = this.slowdownFor(byAccount?.consumedPoints ?? 0);
    if (delay > 0) await this.#sleep(delay);
  }

  async onFailure(ip: string, account: string): Promise<void> {
    await Promise.all([
      this.#pair.consume(pairKey(ip, account)).catch(rethrowStoreError),
      this.#ip.consume(ip).catch(rethrowStoreError),
      this.#account.consume(account).catch(rethrowStoreError),
    ]);
  }

  /** A success clears only this pair; the account's counter stays so an attacker gains nothing. */
  async onSuccess(ip: string, account: string): Promise<void> {
    await this.#pair.delete(pairKey(ip, account)).catch(rethrowStoreError);
  }

  /** The slow-down, in ms, for an account with this many recent failures. */
  slowdownFor(accountFailures: number): number {
    const over = accountFailures - this.limits.accountSlowdownAfter;
    if (over < 0) return 0;
    return Math.min(this.limits.slowdownMaxMs, this.limits.slowdownBaseMs * 2 ** Math.min(over, 30));
  }
}

const pairKey = (ip: string, account: string) => `${ip}|${account}`;
