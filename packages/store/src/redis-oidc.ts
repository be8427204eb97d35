import type { Redis } from 'ioredis';
import { LUA_EXTEND, LUA_IS_NULL } from './redis-lua.ts';
import {
  ACCOUNT_MODELS,
  type AccountModel,
  type Clock,
  type ConsumeOutcome,
  type OidcIndex,
  type OidcRecord,
  type OidcRepository,
} from './types.ts';

// Keys, under the store's prefix:
//   oidc:{model}:{id}               the record, JSON {payload, expiresAt, consumedAt, index}
//   oidc:grant:{grantId}            set of "model:id" indexed with that grant
//   oidc:uid:{model}:{uid}          → id
//   oidc:usercode:{model}:{code}    → id
//   oidc:account:{accountId}        set of Grant ids
//   oidc:account:Session:{accountId} set of the provider's Session ids
// oidc-provider's model names are PascalCase, so a record key never meets the lowercase index keys.
// Index entries can go stale (a record re-upserted elsewhere, or expired); every reader checks the
// record's own `index` before trusting one. `payload` is kept as its JSON text: the scripts decode
// the record with cjson, which would rewrite `[]` as `{}` and round numbers past 14 digits if it
// ever re-encoded the payload itself.

/** `isnull`, `extend`; `unindex` removes every index entry of one record, `destroy` the record too. */
const HELPERS = `${LUA_IS_NULL}${LUA_EXTEND}
local function accountKey(prefix, model, accountId)
  if model == 'Grant' then return prefix .. 'oidc:account:' .. accountId end
  return prefix .. 'oidc:account:' .. model .. ':' .. accountId
end
local function unindex(prefix, model, id, ix)
  if type(ix) ~= 'table' then return end
  if type(ix.grantId) == 'string' then
    redis.call('SREM', prefix .. 'oidc:grant:' .. ix.grantId, model .. ':' .. id)
  end
  for _, pair in ipairs({{'uid', ix.uid}, {'usercode', ix.userCode}}) do
    if type(pair[2]) == 'string' then
      local k = prefix .. 'oidc:' .. pair[1] .. ':' .. model .. ':' .. pair[2]
      if redis.call('GET', k) == id then redis.call('DEL', k) end
    end
  end
  if (model == 'Grant' or model == 'Session') and type(ix.accountId) == 'string' then
    redis.call('SREM', accountKey(prefix, model, ix.accountId), id)
  end
end
local function destroy(prefix, model, id)
  local k = prefix .. 'oidc:' .. model .. ':' .. id
  local v = redis.call('GET', k)
  if not v then return 0 end
  unindex(prefix, model, id, cjson.decode(v).index)
  return redis.call('DEL', k)
end`;

/**
 * KEYS: record. ARGV: record JSON, ttl ms (<= 0: already expired), prefix, model, id, grantId, uid,
 * userCode, accountId ('' for none). The old version's index entries go first, so a changed uid or
 * grant id no longer leads here; index keys live at least as long as the record.
 */
const UPSERT = `${HELPERS}
local prefix, model, id = ARGV[3], ARGV[4], ARGV[5]
destroy(prefix, model, id)
local ttl = tonumber(ARGV[2])
if ttl <= 0 then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ttl)
if ARGV[6] ~= '' then
  local k = prefix .. 'oidc:grant:' .. ARGV[6]
  redis.call('SADD', k, model .. ':' .. id)
  extend(k, ttl)
end
if ARGV[7] ~= '' then redis.call('SET', prefix .. 'oidc:uid:' .. model .. ':' .. ARGV[7], id, 'PX', ttl) end
if ARGV[8] ~= '' then redis.call('SET', prefix .. 'oidc:usercode:' .. model .. ':' .. ARGV[8], id, 'PX', ttl) end
if (model == 'Grant' or model == 'Session') and ARGV[9] ~= '' then
  local k = accountKey(prefix, model, ARGV[9])
  redis.call('SADD', k, id)
  extend(k, ttl)
end
return 1`;

/**
 * KEYS: index key (uid or user code). ARGV: record key prefix, index field, value.
 * Returns {id, record JSON} when the record it names still carries that value; the caller checks expiry.
 */
const FIND_BY_INDEX = `
local id = redis.call('GET', KEYS[1])
if not id then return false end
local v = redis.call('GET', ARGV[1] .. id)
if not v then return false end
local ix = cjson.decode(v).index
if type(ix) ~= 'table' or ix[ARGV[2]] ~= ARGV[3] then return false end
return {id, v}`;

/**
 * KEYS: record. ARGV: consumedAt, the store clock's now. One script, so concurrent consumers of one
 * record are serialized by Redis and exactly one sees it unconsumed.
 */
const CONSUME = `${HELPERS}
local v = redis.call('GET', KEYS[1])
if not v then return {'missing'} end
local o = cjson.decode(v)
if tonumber(o.expiresAt) <= tonumber(ARGV[2]) then return {'missing'} end
if not isnull(o.consumedAt) then return {'already_consumed', v} end
o.consumedAt = tonumber(ARGV[1])
v = cjson.encode(o)
redis.call('SET', KEYS[1], v, 'KEEPTTL')
return {'consumed', v}`;

/** ARGV: prefix, model, id. */
const DESTROY = `${HELPERS}
return destroy(ARGV[1], ARGV[2], ARGV[3])`;

/**
 * KEYS: grant set. ARGV: prefix, grantId. Destroys each member still indexed with this grant
 * (a member re-upserted under another grant stays), then the set.
 */
const REVOKE_GRANT = `${HELPERS}
local prefix = ARGV[1]
for _, m in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local model, id = string.match(m, '^([^:]*):(.*)$')
  local v = model and redis.call('GET', prefix .. 'oidc:' .. m)
  if v then
    local ix = cjson.decode(v).index
    if type(ix) == 'table' and ix.grantId == ARGV[2] then destroy(prefix, model, id) end
  end
end
redis.call('DEL', KEYS[1])
return 1`;

/**
 * KEYS: account set. ARGV: record key prefix of the model, accountId, now. Returns the ids of live
 * records still indexed with the account; prunes members whose record is gone or moved to another
 * account.
 */
const IDS_OF_ACCOUNT = `
local out = {}
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local v = redis.call('GET', ARGV[1] .. id)
  local o = v and cjson.decode(v)
  if not o or type(o.index) ~= 'table' or o.index.accountId ~= ARGV[2] then
    redis.call('SREM', KEYS[1], id)
  elseif tonumber(o.expiresAt) > tonumber(ARGV[3]) then
    out[#out + 1] = id
  end
end
return out`;

export interface RedisOidcDeps {
  client: Redis;
  /** The store's key prefix, e.g. `authlab:`. */
  keyPrefix: string;
  clock: Clock;
  /** The store's wrapper: waits for the connection and maps Redis failures to store errors. */
  run: <T>(fn: () => Promise<T>) => Promise<T>;
}

/** The record as stored: the payload stays JSON text (see above). */
interface StoredRecord {
  payload: string;
  expiresAt: number;
  consumedAt: number | null;
  index: OidcIndex;
}

const toRecord = (json: string): OidcRecord => {
  const stored = JSON.parse(json) as StoredRecord;
  return {
    payload: JSON.parse(stored.payload) as Record<string, unknown>,
    expiresAt: stored.expiresAt,
    consumedAt: stored.consumedAt ?? null,
  };
};

/** Only string entries, so the scripts see exactly the keys a record was indexed with. */
const cleanIndex = (model: string, index: OidcIndex): OidcIndex => {
  const clean: OidcIndex = {};
  if (typeof index.grantId === 'string') clean.grantId = index.grantId;
  if (typeof index.uid === 'string') clean.uid = index.uid;
  if (typeof index.userCode === 'string') clean.userCode = index.userCode;
  if (typeof index.accountId === 'string' && ACCOUNT_MODELS.includes(model as AccountModel)) {
    clean.accountId = index.accountId;
  }
  return clean;
};

/**
 * The Redis half of `Store.oidc`. Every change is one Lua script, atomic against other server
 * instances; expiry is judged against `clock`, the PX TTLs only collect garbage.
 *
 * @example
 * const oidc = createRedisOidc({ client, keyPrefix: 'authlab:', clock, run });
 * await oidc.upsert('Grant', grantId, { payload, expiresAt, consumedAt: null }, { grantId, accountId });
 * const grantIds = await oidc.idsOfAccount('Grant', accountId);
 */
export function createRedisOidc({ client, keyPrefix, clock, run }: RedisOidcDeps): OidcRepository {
  const k = {
    recordPrefix: (model: string) => `${keyPrefix}oidc:${model}:`,
    record: (model: string, id: string) => `${keyPrefix}oidc:${model}:${id}`,
    grant: (grantId: string) => `${keyPrefix}oidc:grant:${grantId}`,
    uid: (model: string, uid: string) => `${keyPrefix}oidc:uid:${model}:${uid}`,
    userCode: (model: string, code: string) => `${keyPrefix}oidc:usercode:${model}:${code}`,
    // Grants keep the key they always had, so grants stored before sessions were indexed are found.
    account: (model: AccountModel, accountId: string) =>
      model === 'Grant' ? `${keyPrefix}oidc:account:${accountId}` : `${keyPrefix}oidc:account:${model}:${accountId}`,
  };

  const live = (record: OidcRecord) => record.expiresAt > clock();

  const findByIndex = (model: string, indexKey: string, field: keyof OidcIndex, value: string) =>
    run(async () => {
      const found = (await client.eval(FIND_BY_INDEX, 1, indexKey, k.recordPrefix(model), field, value)) as
        | [string, string]
        | null;
      if (!found) return null;
      const record = toRecord(found[1]);
      return live(record) ? { id: found[0], record } : null;
    });

  return {
    upsert: (model, id, record, index) =>
      run(async () => {
        const clean = cleanIndex(model, index);
        const stored: StoredRecord = {
          payload: JSON.stringify(record.payload),
          expiresAt: record.expiresAt,
          consumedAt: record.consumedAt,
          index: clean,
        };
        const remaining = record.expiresAt - clock();
        await client.eval(
          UPSERT,
          1,
          k.record(model, id),
          JSON.stringify(stored),
          remaining > 0 ? Math.max(1, Math.ceil(remaining)) : 0,
          keyPrefix,
          model,
          id,
          clean.grantId ?? '',
          clean.uid ?? '',
          clean.userCode ?? '',
          clean.accountId ?? '',
        );
      }),
    find: (model, id) =>
      run(async () => {
        const json = await client.get(k.record(model, id));
        if (json === null) return null;
        const record = toRecord(json);
        return live(record) ? record : null;
      }),
    findByUid: (model, uid) => findByIndex(model, k.uid(model, uid), 'uid', uid),
    findByUserCode: (model, userCode) => findByIndex(model, k.userCode(model, userCode), 'userCode', userCode),
    consume: (model, id, now) =>
      run(async (): Promise<ConsumeOutcome> => {
        const [outcome, json] = (await client.eval(CONSUME, 1, k.record(model, id), now, clock())) as [string, string?];
        if ((outcome === 'consumed' || outcome === 'already_consumed') && json !== undefined) {
          return { outcome, record: toRecord(json) };
        }
        return { outcome: 'missing' };
      }),
    destroy: (model, id) =>
      run(async () => {
        await client.eval(DESTROY, 0, keyPrefix, model, id);
      }),
    revokeByGrantId: (grantId) =>
      run(async () => {
        await client.eval(REVOKE_GRANT, 1, k.grant(grantId), keyPrefix, grantId);
      }),
    idsOfAccount: (model, accountId) =>
      run(async () => {
        const ids = (await client.eval(
          IDS_OF_ACCOUNT,
          1,
          k.account(model, accountId),
          k.recordPrefix(model),
          accountId,
          clock(),
        )) as string[];
        // Sorted like SQLite's ORDER BY id; a set has no order of its own.
        return ids.sort();
      }),
  };
}
