import type { Redis } from 'ioredis';
import { type IdentityRepository, StoreConflictError } from './types.ts';

// Keys, under the store's prefix (no TTL: a link lasts as long as the account):
//   identities           hash  JSON [issuer, subject] → user id
//   identities:by-user   hash  JSON [issuer, user id] → subject
// JSON arrays as fields: no choice of separator can collide with what an issuer or subject holds.

/**
 * KEYS: by subject, by user. ARGV: subject field, user field, user id, subject.
 * Returns 1 when linked (now or already, to this account), 0 on a conflict. One script, so two
 * instances linking at once cannot both pass the checks.
 */
const LINK = `
local linked = redis.call('HGET', KEYS[1], ARGV[1])
if linked then
  if linked == ARGV[3] then return 1 end
  return 0
end
if redis.call('HEXISTS', KEYS[2], ARGV[2]) == 1 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('HSET', KEYS[2], ARGV[2], ARGV[4])
return 1`;

/**
 * KEYS: by subject, by user. ARGV: user field, subject field, subject. Deletes both halves only if
 * the account is still linked to that subject (read just before: the subject field is JSON the
 * client builds, which Lua's cjson would spell differently), so no instance sees half a link.
 */
const UNLINK = `
if redis.call('HGET', KEYS[2], ARGV[1]) ~= ARGV[3] then return 0 end
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[1], ARGV[2])
return 1`;

export interface RedisIdentitiesDeps {
  client: Redis;
  /** The store's key prefix, e.g. `authlab:`. */
  keyPrefix: string;
  /** The store's wrapper: waits for the connection and maps Redis failures to store errors. */
  run: <T>(fn: () => Promise<T>) => Promise<T>;
}

/**
 * The Redis half of `Store.identities`.
 *
 * @example
 * const identities = createRedisIdentities({ client, keyPrefix: 'authlab:', run });
 * await identities.link('https://accounts.google.com', '1098…', alice.id);
 */
export function createRedisIdentities({ client, keyPrefix, run }: RedisIdentitiesDeps): IdentityRepository {
  const bySubject = `${keyPrefix}identities`;
  const byUser = `${keyPrefix}identities:by-user`;
  return {
    link: (issuer, subject, userId) =>
      run(async () => {
        const fields = [JSON.stringify([issuer, subject]), JSON.stringify([issuer, userId])];
        const linked = await client.eval(LINK, 2, bySubject, byUser, ...fields, userId, subject);
        if (linked !== 1) {
          throw new StoreConflictError('this identity or this account is already linked to another at that issuer');
        }
      }),
    find: (issuer, subject) => run(() => client.hget(bySubject, JSON.stringify([issuer, subject]))),
    unlink: (issuer, userId) =>
      run(async () => {
        const userField = JSON.stringify([issuer, userId]);
        for (;;) {
          const subject = await client.hget(byUser, userField);
          if (subject === null) return null;
          const fields = [userField, JSON.stringify([issuer, subject]), subject];
          if ((await client.eval(UNLINK, 2, bySubject, byUser, ...fields)) === 1) return subject;
          // Relinked between the read and the script: read again.
        }
      }),
  };
}
