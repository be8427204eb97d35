import { createRequire } from 'node:module';
import type { Redis } from 'ioredis';
import { orderedId } from './ids.ts';
import { parallelCredentialChecks } from './parallel-credential-checks.ts';
import { createRedisAttempts } from './redis-attempts.ts';
import { createRedisIdentities } from './redis-identities.ts';
import { LUA_EXTEND } from './redis-lua.ts';
import { createRedisOidc } from './redis-oidc.ts';
import { createRedisRefreshTokens } from './redis-refresh.ts';
import {
  type Clock,
  type Note,
  normalizeEmail,
  type Role,
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

/** KEYS: session, user index. ARGV: record JSON, ttl ms (<= 0: expired), createdAt, session key. */
const SAVE_SESSION = `${LUA_EXTEND}
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
const TOUCH_SESSION = `${LUA_EXTEND}
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

/** How many session owners `openRedisStore` remembers (a string pair each, about 200 bytes). */
const SESSION_OWNERS_MAX = 10_000;

interface SessionWithUserCommand {
  authlabSessionWithUser(sessionKey: string, userKeyPrefix: string): Promise<[string, string | null] | null>;
}

/**
 * A Redis client set up to fail closed and fast: no offline queue (a command while Redis is down
 * rejects at once instead of hanging a request), short timeouts, and reconnection forever so
 * service resumes by itself. Shared by the store and the login limiter.
 */
export function connectRedis(url: string): Redis {
  // ioredis (about 10 MB resident) is loaded here, when a Redis is configured, not by every
  // server that imports the store and runs on SQLite.
  const { Redis } = createRequire(import.meta.url)('ioredis') as typeof import('ioredis');
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

  const updateUser = (id: string, field: keyof User, value: unknown) =>
    run(async () => {
      await client.eval(UPDATE_USER, 1, k.user(id), field, JSON.stringify(value));
    });

  /**
   * The account each session key belongs to, once seen. A session never changes accounts, so
   * with its owner known the hot read (`getWithUser`) fetches the session and the account in one
   * MGET, two plain GETs inside Redis, instead of the Lua script that follows the session to its
   * account (about 4 µs of Redis CPU per call against 0.3, measured with INFO commandstats; the
   * script doubled Redis's CPU per session request). Nothing read is remembered: both records
   * come from Redis on every request, so a signed-out session or a disabled account is refused on
   * its very next one. A session whose record names another account takes the script. Bounded,
   * oldest out first.
   */
  const sessionOwners = new Map<string, string>();
  const rememberOwner = (key: string, userId: string) => {
    if (sessionOwners.get(key) === userId) return;
    if (sessionOwners.size >= SESSION_OWNERS_MAX) sessionOwners.delete(sessionOwners.keys().next().value as string);
    sessionOwners.set(key, userId);
  };

  /** A session with its account's record, which must be the account the session names. */
  const withAccount = (record: SessionRecord, json: string | null) => {
    const user = typeof json === 'string' ? toUser(json) : null;
    return { record, user: user?.id === record.userId ? user : null };
  };

  const liveSession = (json: string | null): SessionRecord | null => {
    if (json === null) return null;
    const record = toSession(json);
    return record.expiresAt > clock() ? record : null;
  };

  const store: Omit<Store, 'credentialChecks'> = {
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
          const owner = sessionOwners.get(key);
          if (owner !== undefined) {
            const [session, account] = (await client.mget(k.session(key), k.user(owner))) as [
              string | null,
              string | null,
            ];
            const record = liveSession(session);
            if (!record) {
              sessionOwners.delete(key);
              return null;
            }
            // Always so (ids are random and never reassigned); otherwise the script below.
            if (record.userId === owner) return withAccount(record, account);
          }
          const found = await sessionWithUser(k.session(key), k.user(''));
          const record = liveSession(found?.[0] ?? null);
          if (!record) return null;
          rememberOwner(key, record.userId);
          return withAccount(record, found?.[1] ?? null);
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
          sessionOwners.delete(key);
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
    refreshTokens: createRedisRefreshTokens({ client, keyPrefix: prefix, clock, run }),
    oidc: createRedisOidc({ client, keyPrefix: prefix, clock, run }),
    identities: createRedisIdentities({ client, keyPrefix: prefix, run }),
    attempts: createRedisAttempts({ client, keyPrefix: prefix, clock, run }),
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
  return { ...store, credentialChecks: parallelCredentialChecks(store) };
}
