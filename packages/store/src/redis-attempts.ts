import type { Redis } from 'ioredis';
import type { AttemptCounterRepository, AttemptReservation, Clock } from './types.ts';

// Keys, under the store's prefix: attempts:<key>  hash {n, resets}  (PEXPIRE at the window's end)
// The window is judged by the store's clock (ARGV), like every other expiry of the store; the
// Redis TTL only collects the key afterwards.

/**
 * KEYS: the buckets. ARGV: now, then limit (-1: never refuses) and window ms per bucket.
 * Returns {1, count…} when counted in every bucket, {0, retryAfterMs} when one was full. One
 * script, so concurrent logins on any number of instances cannot all pass the check.
 */
const RESERVE = `
local now = tonumber(ARGV[1])
local counts, retry = {}, 0
for i, key in ipairs(KEYS) do
  local limit = tonumber(ARGV[2 * i])
  local fields = redis.call('HMGET', key, 'n', 'resets')
  local n, resets = tonumber(fields[1]) or 0, tonumber(fields[2]) or 0
  if resets <= now then n = -1 end
  counts[i] = n
  if limit >= 0 and n >= limit and resets - now > retry then retry = resets - now end
end
if retry > 0 then return {0, retry} end
local out = {1}
for i, key in ipairs(KEYS) do
  local window = tonumber(ARGV[2 * i + 1])
  if counts[i] < 0 then
    redis.call('HSET', key, 'n', 1, 'resets', now + window)
    redis.call('PEXPIRE', key, window)
    out[i + 1] = 1
  else
    out[i + 1] = redis.call('HINCRBY', key, 'n', 1)
  end
end
return out`;

/** KEYS: the buckets. ARGV: now. One counted attempt back from each live window, never below 0. */
const RELEASE = `
for _, key in ipairs(KEYS) do
  local fields = redis.call('HMGET', key, 'n', 'resets')
  if (tonumber(fields[1]) or 0) > 0 and (tonumber(fields[2]) or 0) > tonumber(ARGV[1]) then
    redis.call('HINCRBY', key, 'n', -1)
  end
end
return 1`;

export interface RedisAttemptsDeps {
  client: Redis;
  keyPrefix: string;
  clock: Clock;
  run: <T>(fn: () => Promise<T>) => Promise<T>;
}

/**
 * The Redis half of `Store.attempts`.
 *
 * @example
 * const attempts = createRedisAttempts({ client, keyPrefix: 'authlab:', clock, run });
 * await attempts.reserve([{ key: 'pair:203.0.113.5|alice@example.com', limit: 5, windowMs: 900_000 }]);
 */
export function createRedisAttempts({ client, keyPrefix, clock, run }: RedisAttemptsDeps): AttemptCounterRepository {
  const keyOf = (key: string) => `${keyPrefix}attempts:${key}`;
  return {
    reserve: (buckets) =>
      run(async () => {
        const args = buckets.flatMap((bucket) => [bucket.limit ?? -1, bucket.windowMs]);
        const keys = buckets.map((bucket) => keyOf(bucket.key));
        const [granted, ...rest] = (await client.eval(RESERVE, keys.length, ...keys, clock(), ...args)) as number[];
        const reservation: AttemptReservation =
          granted === 1 ? { granted: true, counts: rest } : { granted: false, retryAfterMs: rest[0] ?? 1 };
        return reservation;
      }),
    release: (keys) =>
      run(async () => {
        if (keys.length > 0) await client.eval(RELEASE, keys.length, ...keys.map(keyOf), clock());
      }),
    clear: (keys) =>
      run(async () => {
        if (keys.length > 0) await client.del(...keys.map(keyOf));
      }),
  };
}
