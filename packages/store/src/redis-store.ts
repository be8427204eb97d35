import { Redis } from 'ioredis';
import { orderedId } from './ids.ts';
import { createRedisIdentities } from './redis-identities.ts';
import { createRedisOidc } from './redis-oidc.ts';
import {
  type Clock,
  type NewRefreshFamily,
  type Note,
  normalizeEmail,
  type RefreshFamily,
  type Role,
  type RotateOutcome,
  type SessionRecord,
  type Store,
  StoreConflictError,
  StoreUnavailableError,
  systemClock,
  type User,
} from './types.ts';

export interface RedisStoreOptions {
  /** `redis://[:password@]host:port[/db]` */
  url: string;
  clock?: Clock;
  /** Prepended to every key, so several deployments (or test runs) can share one server. */
  keyPrefix?: string;
  /** An existing client (from `connectRedis`) to share with other users of the same Redis. */
  client?: Redis;
}

/** How long a command waits for the initial connection before failing. */
const READY_TIMEOUT_MS = 2_000;

// The scripts below read and write JSON records inside Redis so that each change is atomic
// against other server instances. Redis' cjson encodes numbers with 14 significant digits,
// which keeps millisecond timestamps exact (they stay below 1e14 until the year 5138).

/** KEYS: email index, user record, users set. ARGV: id, user JSON, createdAt. */
const CREATE_USER = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX') == false then return 0 end
redis.call('SET', KEYS[2], ARGV[2])
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[1])
return 1`;

/** KEYS: user record. ARGV: field, JSON value. A missing user is a no-op, like SQL UPDATE. */
const UPDATE_USER = `
local v = redis.call('GET', KEYS[1])
if not v then return 0 end
local o = cjson.decode(v)
o[ARGV[1]] = cjson.decode(ARGV[2])
redis.call('SET', KEYS[1], cjson.encode(o))
return 1`;

/** Keeps a user's session index alive as long as its longest-lived session. */
const EXTEND_INDEX = `
local function extend(index, ttl)
  if redis.call('PTTL', index) < ttl then redis.call('PEXPIRE', index, ttl) end
end`;

/** KEYS: session, user index. ARGV: record JSON, ttl ms (<= 0: expired), createdAt, session key. */
const SAVE_SESSION = `${EXTEND_INDEX}
local ttl = tonumber(ARGV[2])
if ttl <= 0 then
  redis.call('DEL', KEYS[1])
  redis.call('ZREM', KEYS[2], ARGV[4])
  return 0
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ttl)
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])
extend(KEYS[2], ttl)
return 1`;

/**
 * KEYS: session. ARGV: user key prefix. Returns nil when the session is absent, else
 * {session JSON, user JSON or nil}: the session and its account in one round trip.
 */
const SESSION_WITH_USER = `
local s = redis.call('GET', KEYS[1])
if not s then return nil end
return {s, redis.call('GET', ARGV[1] .. cjson.decode(s).userId)}`;

/** KEYS: session. ARGV: lastSeenAt, expiresAt, ttl ms, user index prefix. */
const TOUCH_SESSION = `${EXTEND_INDEX}
local v = redis.call('GET', KEYS[1])
if not v then return 0 end
local ttl = tonumber(ARGV[3])
if ttl <= 0 then return redis.call('DEL', KEYS[1]) end
local o = cjson.decode(v)
o.lastSeenAt = tonumber(ARGV[1])
o.expiresAt = tonumber(ARGV[2])
redis.call('SET', KEYS[1], cjson.encode(o), 'PX', ttl)
extend(ARGV[4] .. o.userId, ttl)
return 1`;

/**
 * KEYS: user index. ARGV: userId, now, session key prefix. Returns [key, JSON, key, JSON, ...]
 * of live sessions and prunes index entries whose record is gone, expired or re-assigned.
 */
const LIST_SESSIONS = `
local out = {}
for _, m in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local v = redis.call('GET', ARGV[3] .. m)
  local live = false
  if v then
    local o = cjson.decode(v)
    live = o.userId == ARGV[1] and tonumber(o.expiresAt) > tonumber(ARGV[2])
  end
  if live then
    out[#out + 1] = m
    out[#out + 1] = v
  else
    redis.call('ZREM', KEYS[1], m)
  end
end
return out`;

/** KEYS: user index. ARGV: userId, session key prefix. Returns how many records were deleted. */
const DELETE_USER_SESSIONS = `
local n = 0
for _, m in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local k = ARGV[2] .. m
  local v = redis.call('GET', k)
  if v and cjson.decode(v).userId == ARGV[1] then n = n + redis.call('DEL', k) end
end
redis.call('DEL', KEYS[1])
return n`;

// A refresh family and all its tokens, spent ones included, live until the family's absolute end:
// a replayed spent token must still find its family to revoke it. Their PX TTLs are that end.

/** cjson decodes JSON null as `cjson.null`, a value distinct from nil. */
const IS_NULL = `
local function isnull(v) return v == nil or v == cjson.null end`;

/** KEYS: family, first token, user's family index. ARGV: family JSON, token JSON, ttl ms, createdAt, id. */
const CREATE_FAMILY = `${EXTEND_INDEX}
if redis.call('EXISTS', KEYS[1], KEYS[2]) > 0 then return 0 end
local ttl = tonumber(ARGV[3])
redis.call('SET', KEYS[1], ARGV[1], 'PX', ttl)
redis.call('SET', KEYS[2], ARGV[2], 'PX', ttl)
redis.call('ZADD', KEYS[3], ARGV[4], ARGV[5])
extend(KEYS[3], ttl)
return 1`;

/**
 * KEYS: presented token, next token. ARGV: now, idle TTL ms, family key prefix.
 * Returns {outcome, family JSON}. One script, so concurrent rotations of one token are serialized
 * and only the first sees it unspent; the same decision table as the SQLite transaction.
 */
const ROTATE = `${IS_NULL}
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
f.lastUsedAt = now
f.idleExpiresAt = math.min(now + tonumber(ARGV[2]), f.absoluteExpiresAt)
fv = cjson.encode(f)
redis.call('SET', fkey, fv, 'PX', ttl)
return {'rotated', fv}`;

/** KEYS: family. ARGV: now, reason. Revokes only a family not yet revoked; returns 1 if it did. */
const REVOKE_FAMILY = `${IS_NULL}
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
const REVOKE_USER_FAMILIES = `${IS_NULL}
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
const LIST_FAMILIES = `${IS_NULL}
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

const toUser = (json: string): User => {
  const u = JSON.parse(json) as User;
  return {
    id: u.id,
    email: u.email,
    role: u.role,
    passwordHash: u.passwordHash,
    disabled: u.disabled === true,
    createdAt: u.createdAt,
  };
};

const toNote = (json: string): Note => {
  const n = JSON.parse(json) as Note;
  return { id: n.id, ownerId: n.ownerId, text: n.text, createdAt: n.createdAt };
};

const toSession = (json: string): SessionRecord => {
  const s = JSON.parse(json) as SessionRecord;
  return {
    handle: s.handle,
    userId: s.userId,
    createdAt: s.createdAt,
    lastSeenAt: s.lastSeenAt,
    expiresAt: s.expiresAt,
    userAgent: s.userAgent,
    ip: s.ip,
  };
};

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

interface SessionWithUserCommand {
  authlabSessionWithUser(sessionKey: string, userKeyPrefix: string): Promise<[string, string | null] | null>;
}

/**
 * A Redis client set up to fail closed and fast: no offline queue (a command while Redis is down
 * rejects at once instead of hanging a request), short timeouts, and reconnection forever so
 * service resumes by itself. Shared by the store and the login limiter.
 */
export function connectRedis(url: string): Redis {
  const client = new Redis(url, {
    lazyConnect: false,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    commandTimeout: 2_000,
    // Commands issued in the same tick (the session, then the account, of many concurrent
    // requests) leave in one socket write instead of one each: +18% on the session-redis bench
    // row. Order and per-command results and errors are unchanged; MULTI is never batched.
    enableAutoPipelining: true,
    retryStrategy: (attempt) => Math.min(attempt * 100, 1_000),
  });
  // Without a listener an 'error' event would crash the process; callers see the failure instead.
  client.on('error', () => {});
  return client;
}

/**
 * A shared store on Redis, for running several server instances behind one load balancer.
 * Sessions keep their absolute `expiresAt` and are judged against `clock`, exactly like SQLite;
 * the Redis TTL on each key is only garbage collection. While Redis is down every call rejects
 * quickly with `StoreUnavailableError`, and the client reconnects by itself.
 *
 * Keys reference each other inside Lua scripts, so this needs a standalone Redis (not Cluster).
 *
 * @example
 * const store = openRedisStore({ url: 'redis://127.0.0.1:6379', keyPrefix: 'authlab:' });
 * await store.ping();
 * const user = await store.users.create({ email: 'a@example.com', role: 'user', passwordHash });
 */
export function openRedisStore(options: RedisStoreOptions): Store {
  const clock = options.clock ?? systemClock;
  const prefix = options.keyPrefix ?? 'authlab:';
  const k = {
    user: (id: string) => `${prefix}user:${id}`,
    email: (email: string) => `${prefix}user:email:${email}`,
    users: `${prefix}users`,
    note: (id: string) => `${prefix}note:${id}`,
    notesOf: (ownerId: string) => `${prefix}notes:owner:${ownerId}`,
    sessionPrefix: `${prefix}session:`,
    session: (key: string) => `${prefix}session:${key}`,
    sessionsOfPrefix: `${prefix}sessions:user:`,
    sessionsOf: (userId: string) => `${prefix}sessions:user:${userId}`,
    familyPrefix: `${prefix}refresh:family:`,
    family: (id: string) => `${prefix}refresh:family:${id}`,
    token: (hash: string) => `${prefix}refresh:token:${hash}`,
    familiesOf: (userId: string) => `${prefix}refresh:families:user:${userId}`,
    revokedBefore: (userId: string) => `${prefix}revoked_before:${userId}`,
  };

  const client = options.client ?? connectRedis(options.url);
  // On the hot path of every session request: sent as EVALSHA (ioredis loads the script again
  // by itself after a NOSCRIPT, e.g. when Redis restarted), not as the whole script each time.
  client.defineCommand('authlabSessionWithUser', { numberOfKeys: 1, lua: SESSION_WITH_USER });
  const sessionWithUser = (client as unknown as SessionWithUserCommand).authlabSessionWithUser.bind(client);
  let lastError = '';
  // Without a listener an 'error' event would crash the process; callers see the failure instead.
  client.on('error', (error: Error) => {
    lastError = error.message;
  });

  let closed = false;
  let closing: Promise<void> | null = null;
  let ready: Promise<boolean> | null = null;

  /** Resolves true once connected; false if the attempt fails or takes too long. */
  const waitForReady = (): Promise<boolean> => {
    if (client.status === 'ready') return Promise.resolve(true);
    if (client.status !== 'connecting' && client.status !== 'connect' && client.status !== 'wait') {
      return Promise.resolve(false);
    }
    // One shared waiter, so a burst of requests does not pile listeners onto the client.
    ready ??= new Promise<boolean>((resolve) => {
      const finish = (ok: boolean) => {
        clearTimeout(timer);
        client.off('ready', onReady);
        client.off('close', onFail);
        client.off('end', onFail);
        ready = null;
        resolve(ok);
      };
      const onReady = () => finish(true);
      const onFail = () => finish(false);
      const timer = setTimeout(onFail, READY_TIMEOUT_MS);
      client.on('ready', onReady);
      client.on('close', onFail);
      client.on('end', onFail);
    });
    return ready;
  };

  const unavailable = (detail: string, cause?: unknown) =>
    new StoreUnavailableError(`Redis store unavailable: ${detail}`, cause === undefined ? undefined : { cause });

  /** Runs one repository operation, mapping every Redis failure to `StoreUnavailableError`. */
  const run = async <T>(fn: () => Promise<T>): Promise<T> => {
    if (closed) throw new StoreUnavailableError('the Redis store is closed');
    // Connected (the usual case): no extra await before the command.
    if (client.status !== 'ready' && !(await waitForReady())) {
      if (closed) throw new StoreUnavailableError('the Redis store is closed');
      throw unavailable(lastError || `connection is ${client.status}`);
    }
    try {
      return await fn();
    } catch (error) {
      if (error instanceof StoreConflictError || error instanceof StoreUnavailableError) throw error;
      throw unavailable((error as Error).message, error);
    }
  };

  /** The Redis TTL for a session: garbage collection only, reads still check `expiresAt`. */
  const ttlFor = (expiresAt: number) => {
    const remaining = expiresAt - clock();
    return remaining > 0 ? Math.max(1, Math.ceil(remaining)) : 0;
  };

  /** The Redis TTL for a refresh family and its tokens: at least 1 ms, so a key never lives forever. */
  const familyTtl = (absoluteExpiresAt: number, now: number) => Math.max(1, Math.ceil(absoluteExpiresAt - now));

  const updateUser = (id: string, field: keyof User, value: unknown) =>
    run(async () => {
      await client.eval(UPDATE_USER, 1, k.user(id), field, JSON.stringify(value));
    });

  const liveSession = (json: string | null): SessionRecord | null => {
    if (json === null) return null;
    const record = toSession(json);
    return record.expiresAt > clock() ? record : null;
  };

  return {
    kind: 'redis',
    users: {
      create: (user) =>
        run(async () => {
          const created: User = {
            id: orderedId(),
            email: normalizeEmail(user.email),
            role: user.role,
            passwordHash: user.passwordHash,
            disabled: false,
            createdAt: clock(),
          };
          const inserted = await client.eval(
            CREATE_USER,
            3,
            k.email(created.email),
            k.user(created.id),
            k.users,
            created.id,
            JSON.stringify(created),
            created.createdAt,
          );
          if (inserted !== 1) throw new StoreConflictError('email already registered');
          return created;
        }),
      findById: (id) =>
        run(async () => {
          const json = await client.get(k.user(id));
          return json === null ? null : toUser(json);
        }),
      findByEmail: (email) =>
        run(async () => {
          const id = await client.get(k.email(normalizeEmail(email)));
          if (id === null) return null;
          const json = await client.get(k.user(id));
          return json === null ? null : toUser(json);
        }),
      list: () =>
        run(async () => {
          const ids = await client.zrange(k.users, 0, '-1');
          if (ids.length === 0) return [];
          const rows = await client.mget(ids.map(k.user));
          const users = rows.filter((json): json is string => json !== null).map(toUser);
          // Same order as SQLite's ORDER BY created_at, email (the set itself breaks ties by id).
          return users.sort(
            (a, b) => a.createdAt - b.createdAt || (a.email < b.email ? -1 : a.email > b.email ? 1 : 0),
          );
        }),
      count: () => run(() => client.zcard(k.users)),
      setPasswordHash: (id, passwordHash) => updateUser(id, 'passwordHash', passwordHash),
      setRole: (id, role: Role) => updateUser(id, 'role', role),
      setDisabled: (id, disabled) => updateUser(id, 'disabled', disabled),
    },
    notes: {
      create: (ownerId, text) =>
        run(async () => {
          const note: Note = { id: orderedId(), ownerId, text, createdAt: clock() };
          const results = await client
            .multi()
            .set(k.note(note.id), JSON.stringify(note))
            .zadd(k.notesOf(ownerId), note.createdAt, note.id)
            .exec();
          const failed = results?.find(([error]) => error);
          if (!results || failed) throw unavailable(failed?.[0]?.message ?? 'transaction aborted');
          return note;
        }),
      get: (id) =>
        run(async () => {
          const json = await client.get(k.note(id));
          return json === null ? null : toNote(json);
        }),
      listByOwner: (ownerId) =>
        run(async () => {
          // Reverse order over (createdAt, id) is SQLite's ORDER BY created_at DESC, id DESC.
          const ids = await client.zrevrange(k.notesOf(ownerId), 0, -1);
          if (ids.length === 0) return [];
          const rows = await client.mget(ids.map(k.note));
          return rows.filter((json): json is string => json !== null).map(toNote);
        }),
      delete: (id) =>
        run(async () => {
          const json = await client.get(k.note(id));
          if (json === null) return false;
          const note = toNote(json);
          const results = await client.multi().del(k.note(id)).zrem(k.notesOf(note.ownerId), id).exec();
          const failed = results?.find(([error]) => error);
          if (!results || failed) throw unavailable(failed?.[0]?.message ?? 'transaction aborted');
          // A concurrent delete may have won the race; only one caller reports true.
          return results[0]?.[1] === 1;
        }),
    },
    sessions: {
      save: (key, r) =>
        run(async () => {
          const record = toSession(JSON.stringify(r));
          await client.eval(
            SAVE_SESSION,
            2,
            k.session(key),
            k.sessionsOf(record.userId),
            JSON.stringify(record),
            ttlFor(record.expiresAt),
            record.createdAt,
            key,
          );
        }),
      get: (key) => run(async () => liveSession(await client.get(k.session(key)))),
      getWithUser: (key) =>
        run(async () => {
          const found = await sessionWithUser(k.session(key), k.user(''));
          const record = liveSession(found?.[0] ?? null);
          if (!record) return null;
          const user = typeof found?.[1] === 'string' ? toUser(found[1]) : null;
          // The script follows the record's own userId; checked again here all the same.
          return { record, user: user?.id === record.userId ? user : null };
        }),
      touch: (key, lastSeenAt, expiresAt) =>
        run(async () => {
          await client.eval(
            TOUCH_SESSION,
            1,
            k.session(key),
            lastSeenAt,
            expiresAt,
            ttlFor(expiresAt),
            k.sessionsOfPrefix,
          );
        }),
      delete: (key) =>
        run(async () => {
          // The index entry is pruned by the next listByUser, or expires with the index.
          await client.del(k.session(key));
        }),
      listByUser: (userId) =>
        run(async () => {
          const flat = (await client.eval(
            LIST_SESSIONS,
            1,
            k.sessionsOf(userId),
            userId,
            clock(),
            k.sessionPrefix,
          )) as string[];
          const sessions: Array<{ key: string; record: SessionRecord }> = [];
          for (let i = 0; i + 1 < flat.length; i += 2) {
            sessions.push({ key: flat[i] as string, record: toSession(flat[i + 1] as string) });
          }
          return sessions;
        }),
      deleteByUser: (userId) =>
        run(async () =>
          Number(await client.eval(DELETE_USER_SESSIONS, 1, k.sessionsOf(userId), userId, k.sessionPrefix)),
        ),
    },
    refreshTokens: {
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
      rotate: (tokenHash, nextHash, now, idleTtlMs) =>
        run(async (): Promise<RotateOutcome> => {
          const [outcome, json] = (await client.eval(
            ROTATE,
            2,
            k.token(tokenHash),
            k.token(nextHash),
            now,
            idleTtlMs,
            k.familyPrefix,
          )) as [string, string?];
          if (outcome === 'conflict') throw new StoreConflictError('refresh token already stored');
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
    },
    oidc: createRedisOidc({ client, keyPrefix: prefix, clock, run }),
    identities: createRedisIdentities({ client, keyPrefix: prefix, run }),
    ping: () =>
      run(async () => {
        await client.ping();
      }),
    close: () => {
      closing ??= (async () => {
        closed = true;
        try {
          await client.quit();
        } catch {
          // Not connected (Redis down): nothing to flush, just stop the reconnect loop.
        }
        client.disconnect();
      })();
      return closing;
    },
  };
}
