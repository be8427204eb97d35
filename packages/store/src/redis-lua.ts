// Lua helpers shared by the Redis store's scripts; each is prepended to a script that uses it.

/** `extend(key, ttl)`: keeps an index key alive at least as long as the longest-lived record it lists. */
export const LUA_EXTEND = `
local function extend(key, ttl)
  if redis.call('PTTL', key) < ttl then redis.call('PEXPIRE', key, ttl) end
end`;

/** `isnull(v)`: cjson decodes JSON null as `cjson.null`, a value distinct from nil. */
export const LUA_IS_NULL = `
local function isnull(v) return v == nil or v == cjson.null end`;
