import type { Redis } from 'ioredis';
import { LUA_EXTEND, LUA_IS_NULL } from './redis-lua.ts';
import {
  type Clock,
  type NewRefreshFamily,
  type RefreshFamily,
  type RefreshTokenRepository,
  type RotateOutcome,
  StoreConflictError,
} from './types.ts';

// A refresh family and all its tokens, spent ones included, live until the family's absolute end:
// a replayed spent token must still find its family to revoke it. Their PX TTLs are that end.

/** KEYS: family, first token, user's family index. ARGV: family JSON, token JSON, ttl ms, createdAt, id. */
const CREATE_FAMILY = `${LUA_EXTEND}
if redis.call('EXISTS', KEYS[1], KEYS[2]) > 0 then return 0 end
local ttl = tonumber(ARGV[3])
redis.call('SET', KEYS[1], ARGV[1], 'PX', ttl)
redis.call('SET', KEYS[2], ARGV[2], 'PX', ttl)
redis.call('ZADD', KEYS[3], ARGV[4], ARGV[5])
extend(KEYS[3], ttl)
return 1`;

/**
 * KEYS: presented token, next token, presented token's sealed successor. ARGV: now, idle TTL ms,
 * family key prefix, token key prefix, next token's hash, sealed successor ('' for none), grace
 * window ms. Returns {outcome, family JSON, sealed successor?}. One script, so concurrent rotations
 * of one token are serialized and only the first sees it unspent; the same decision table as the
 * SQLite transaction.
 */
const ROTATE = `${LUA_IS_NULL}
local v = redis.call('GET', KEYS[1])
if not v then return {'invalid'} end
local t = cjson.decode(v)
local fkey = ARGV[3] .. t.familyId
local fv = redis.call('GET', fkey)
if not fv then return {'invalid'} end
local f = cjson.decode(fv)
local now = tonumber(ARGV[1])
if now >= f.idleExpiresAt or now >= f.absoluteExpiresAt then return {'invalid'} end
local ttl = math.max(1, math.ceil(f.absoluteExpiresAt - now))
if not isnull(t.rotatedAt) then
  if isnull(f.revokedAt) then
    local sv = redis.call('GET', KEYS[3])
    if sv then
      local s = cjson.decode(sv)
      local nv = redis.call('GET', ARGV[4] .. s.successorHash)
      if now < s.expiresAt and nv and isnull(cjson.decode(nv).rotatedAt) then return {'replayed', fv, s.sealed} end
    end
    f.revokedAt = now
    f.revokedReason = 'reuse_detected'
    fv = cjson.encode(f)
    redis.call('SET', fkey, fv, 'PX', ttl)
  end
  return {'reused', fv}
end
if not isnull(f.revokedAt) then return {'invalid'} end
if redis.call('EXISTS', KEYS[2]) == 1 then return {'conflict'} end
t.rotatedAt = now
redis.call('SET', KEYS[1], cjson.encode(t), 'PX', ttl)
redis.call('SET', KEYS[2], cjson.encode({familyId = t.familyId, createdAt = now, rotatedAt = cjson.null}), 'PX', ttl)
if ARGV[6] ~= '' then
  local window = tonumber(ARGV[7])
  redis.call('SET', KEYS[3], cjson.encode({successorHash = ARGV[5], sealed = ARGV[6], expiresAt = now + window}),
    'PX', math.max(1, math.min(window, ttl)))
end
f.lastUsedAt = now
f.idleExpiresAt = math.min(now + tonumber(ARGV[2]), f.absoluteExpiresAt)
fv = cjson.encode(f)
redis.call('SET', fkey, fv, 'PX', ttl)
return {'rotated', fv}`;

/** KEYS: family. ARGV: now, reason. Revokes only a family not yet revoked; returns 1 if it did. */
const REVOKE_FAMILY = `${LUA_IS_NULL}
local v = redis.call('GET', KEYS[1])
if not v then return 0 end
local f = cjson.decode(v)
if not isnull(f.revokedAt) then return 0 end
f.revokedAt = tonumber(ARGV[1])
f.revokedReason = ARGV[2]
redis.call('SET', KEYS[1], cjson.encode(f), 'KEEPTTL')
return 1`;

/**
 * KEYS: user's family index. ARGV: now, reason, family key prefix. Revokes every family of the
 * user not yet revoked in one step, so none stays usable; prunes index entries whose record is gone.
 */
const REVOKE_USER_FAMILIES = `${LUA_IS_NULL}
local n = 0
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local k = ARGV[3] .. id
  local v = redis.call('GET', k)
  if not v then
    redis.call('ZREM', KEYS[1], id)
  else
    local f = cjson.decode(v)
    if isnull(f.revokedAt) then
      f.revokedAt = tonumber(ARGV[1])
      f.revokedReason = ARGV[2]
      redis.call('SET', k, cjson.encode(f), 'KEEPTTL')
      n = n + 1
    end
  end
end
return n`;

/**
 * KEYS: user's family index. ARGV: now, family key prefix. Returns the JSON of each live family,
 * oldest first (the index scores are createdAt, ties by id), and prunes entries whose record is gone.
 */
const LIST_FAMILIES = `${LUA_IS_NULL}
local out = {}
local now = tonumber(ARGV[1])
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local v = redis.call('GET', ARGV[2] .. id)
  if not v then
    redis.call('ZREM', KEYS[1], id)
  else
    local f = cjson.decode(v)
    if isnull(f.revokedAt) and now < f.idleExpiresAt and now < f.absoluteExpiresAt then out[#out + 1] = v end
  end
end
return out`;

const toFamily = (json: string): RefreshFamily => {
  const f = JSON.parse(json) as RefreshFamily;
  return {
    id: f.id,
    userId: f.userId,
    name: f.name,
    userAgent: f.userAgent,
    ip: f.ip,
    createdAt: f.createdAt,
    lastUsedAt: f.lastUsedAt,
    idleExpiresAt: f.idleExpiresAt,
    absoluteExpiresAt: f.absoluteExpiresAt,
    revokedAt: f.revokedAt ?? null,
    revokedReason: f.revokedReason ?? null,
  };
};

export interface RedisRefreshTokensDeps {
  client: Redis;
  /** The store's key prefix, e.g. `authlab:`. */
  keyPrefix: string;
  clock: Clock;
  /** The store's wrapper: waits for the connection and maps Redis failures to store errors. */
  run: <T>(fn: () => Promise<T>) => Promise<T>;
}

/** The Redis TTL for a refresh family and its tokens: at least 1 ms, so a key never lives forever. */
const familyTtl = (absoluteExpiresAt: number, now: number) => Math.max(1, Math.ceil(absoluteExpiresAt - now));

/**
 * The Redis half of `Store.refreshTokens`: every change is one Lua script, atomic against other
 * server instances.
 */
export function createRedisRefreshTokens({
  client,
  keyPrefix,
  clock,
  run,
}: RedisRefreshTokensDeps): RefreshTokenRepository {
  const k = {
    familyPrefix: `${keyPrefix}refresh:family:`,
    family: (id: string) => `${keyPrefix}refresh:family:${id}`,
    tokenPrefix: `${keyPrefix}refresh:token:`,
    token: (hash: string) => `${keyPrefix}refresh:token:${hash}`,
    successor: (hash: string) => `${keyPrefix}refresh:successor:${hash}`,
    familiesOf: (userId: string) => `${keyPrefix}refresh:families:user:${userId}`,
    revokedBefore: (userId: string) => `${keyPrefix}revoked_before:${userId}`,
  };

  return {
    createFamily: (f: NewRefreshFamily, tokenHash) =>
      run(async () => {
        const family = toFamily(JSON.stringify({ ...f, revokedAt: null, revokedReason: null }));
        const created = await client.eval(
          CREATE_FAMILY,
          3,
          k.family(family.id),
          k.token(tokenHash),
          k.familiesOf(family.userId),
          JSON.stringify(family),
          JSON.stringify({ familyId: family.id, createdAt: family.createdAt, rotatedAt: null }),
          familyTtl(family.absoluteExpiresAt, clock()),
          family.createdAt,
          family.id,
        );
        if (created !== 1) throw new StoreConflictError('refresh token or family already stored');
      }),
    rotate: (tokenHash, nextHash, now, idleTtlMs, grace) =>
      run(async (): Promise<RotateOutcome> => {
        const [outcome, json, sealedSuccessor] = (await client.eval(
          ROTATE,
          3,
          k.token(tokenHash),
          k.token(nextHash),
          k.successor(tokenHash),
          now,
          idleTtlMs,
          k.familyPrefix,
          k.tokenPrefix,
          nextHash,
          grace?.sealedSuccessor ?? '',
          grace?.windowMs ?? 0,
        )) as [string, string?, string?];
        if (outcome === 'conflict') throw new StoreConflictError('refresh token already stored');
        if (outcome === 'replayed' && json !== undefined && sealedSuccessor !== undefined) {
          return { outcome, family: toFamily(json), sealedSuccessor };
        }
        if ((outcome === 'rotated' || outcome === 'reused') && json !== undefined) {
          return { outcome, family: toFamily(json) };
        }
        return { outcome: 'invalid' };
      }),
    findFamilyByToken: (tokenHash) =>
      run(async () => {
        const token = await client.get(k.token(tokenHash));
        if (token === null) return null;
        const json = await client.get(k.family((JSON.parse(token) as { familyId: string }).familyId));
        return json === null ? null : toFamily(json);
      }),
    getFamily: (id) =>
      run(async () => {
        const json = await client.get(k.family(id));
        return json === null ? null : toFamily(json);
      }),
    listFamilies: (userId, now) =>
      run(async () => {
        const rows = (await client.eval(LIST_FAMILIES, 1, k.familiesOf(userId), now, k.familyPrefix)) as string[];
        return rows.map(toFamily);
      }),
    revokeFamily: (id, now, reason) =>
      run(async () => (await client.eval(REVOKE_FAMILY, 1, k.family(id), now, reason)) === 1),
    revokeAllFamilies: (userId, now, reason) =>
      run(async () =>
        Number(await client.eval(REVOKE_USER_FAMILIES, 1, k.familiesOf(userId), now, reason, k.familyPrefix)),
      ),
    setRevokedBefore: (userId, at) =>
      run(async () => {
        // No TTL: it must outlive every access token issued before it, whatever their lifetime.
        await client.set(k.revokedBefore(userId), String(at));
      }),
    getRevokedBefore: (userId) =>
      run(async () => {
        const value = await client.get(k.revokedBefore(userId));
        return value === null ? 0 : Number(value);
      }),
  };
}
