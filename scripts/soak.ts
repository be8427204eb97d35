/**
 * `pnpm soak`: a bounded soak test of a real server on this machine. Not part of `pnpm test`.
 *
 *   pnpm soak                         60 s of load on SQLite, then the token manager to 10 min
 *   pnpm soak --duration 20 --quick   20 s of load, token manager for 1 min
 *   pnpm soak --redis                 the same on Redis (a private redis-server on loopback)
 *
 * 1. Spawns `apps/server/src/main.ts` (as `pnpm start` runs it) on a fresh DATA_DIR, with
 *    ACCESS_TOKEN_TTL=1m (the configuration's floor), and sends traffic to 127.0.0.1 only.
 * 2. Load: `--connections` (100) virtual users, each one request at a time, a third per mode,
 *    for `--duration` seconds: logins, the OIDC authorization-code flow, refreshes, API calls
 *    (note writes read back), logouts. Every answer is tallied by status class.
 * 3. Meanwhile, and for `--tm-minutes` (10; 1 with `--quick`) from the start, a TokenManager
 *    (packages/native-client, JwtSource, silent refresh on) calls /api/me every 250 ms; a counting
 *    fetch sees every /jwt/refresh.
 * 4. The server's RSS is sampled every second from /proc (or `ps`).
 * 5. Afterwards every note that was created is looked up in its owner's list.
 *
 * It prints a summary and exits 1 if any criterion fails:
 * - no 5xx and no request left without an answer (30 s deadline each);
 * - no answer other than the one the step expects (a 401 on a fresh token is a failure);
 * - no lost write: every note answered 201 is in its owner's list, with its text;
 * - flat memory: the RSS at the end of the load is within MEMORY_TOLERANCE of its level right
 *   after the warm-up (the first quarter of the load, at least 3 s);
 * - the token manager surfaced no 401 and no error to its caller, and refreshed exactly once per
 *   token lifetime (one /jwt/refresh per lifetime − margin, each with a new refresh token);
 * - the server stopped cleanly (exit 0) on SIGTERM.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { serverEnv } from '@authlab/testkit';
import { JwtSource, MemoryVault, TokenManager } from '../packages/native-client/src/index.ts';
import { CookieJarClient, freePort, type RedisServer, startRedisServer } from '../packages/testkit/src/index.ts';

const HELP = `usage: pnpm soak [--duration <s>] [--connections <n>] [--tm-minutes <n>] [--quick] [--redis]

  --duration <s>      seconds of mixed load (default 60)
  --connections <n>   concurrent virtual users, one request in flight each (default 100)
  --tm-minutes <n>    minutes the TokenManager runs, from the start (default 10)
  --quick             the TokenManager runs 1 minute
  --redis             run the server on a private redis-server instead of SQLite
`;

/** End-of-load RSS may exceed the post-warm-up level by at most this fraction. */
const MEMORY_TOLERANCE = 0.25;
const REQUEST_DEADLINE_MS = 30_000;
const PASSWORD = 'correct-horse-battery-staple';
const USERS = ['alice@example.com', 'bob@example.com', 'admin@example.com'];
const TM_USER = 'bob@example.com';
const TM_CALL_INTERVAL_MS = 250;
const CALLS_PER_TOKEN = 8;

const repoRoot = fileURLToPath(new URL('../', import.meta.url));
const mainTs = fileURLToPath(new URL('../apps/server/src/main.ts', import.meta.url));

interface Options {
  durationSec: number;
  connections: number;
  tmMinutes: number;
  redis: boolean;
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '60' },
      connections: { type: 'string', default: '100' },
      'tm-minutes': { type: 'string' },
      quick: { type: 'boolean', default: false },
      redis: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    allowPositionals: false,
  });
  if (values.help) {
    process.stdout.write(HELP);
    process.exit(0);
  }
  const number = (name: string, text: string, min: number, max: number) => {
    const value = Number(text);
    if (!Number.isFinite(value) || value < min || value > max) {
      process.stderr.write(`soak: --${name} must be a number from ${min} to ${max} (got "${text}")\n${HELP}`);
      process.exit(2);
    }
    return value;
  };
  return {
    durationSec: number('duration', values.duration, 10, 3_600),
    connections: number('connections', values.connections, 3, 1_000),
    tmMinutes: number('tm-minutes', values['tm-minutes'] ?? (values.quick ? '1' : '10'), 0.5, 120),
    redis: values.redis,
  };
}

// ---------------------------------------------------------------------------------------------
// Tallies

type StatusClass = '2xx' | '3xx' | '4xx' | '5xx' | 'no answer';

class Tally {
  readonly classes: Record<StatusClass, number> = { '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0, 'no answer': 0 };
  readonly routes = new Map<string, Map<string, number>>();
  unexpected = 0;
  /** 4xx answers the step asked for (a dead credential after logout or revocation). */
  expected4xx = 0;
  readonly examples: string[] = [];

  record(route: string, status: number, expected: number[], detail = ''): void {
    const cls: StatusClass = status === 0 ? 'no answer' : (`${Math.floor(status / 100)}xx` as StatusClass);
    this.classes[cls] = (this.classes[cls] ?? 0) + 1;
    const perRoute = this.routes.get(route) ?? new Map<string, number>();
    perRoute.set(String(status), (perRoute.get(String(status)) ?? 0) + 1);
    this.routes.set(route, perRoute);
    if (!expected.includes(status)) this.fail(`${route} → ${status || 'no answer'} ${detail}`.trim());
    else if (status >= 400 && status < 500) this.expected4xx++;
  }

  /** A check other than the status failed (a note read back with the wrong text, …). */
  fail(example: string): void {
    this.unexpected++;
    if (this.examples.length < 15) this.examples.push(example.slice(0, 300));
  }

  get total(): number {
    return Object.values(this.classes).reduce((a, b) => a + b, 0);
  }
}

// ---------------------------------------------------------------------------------------------
// A tiny HTTP client: one per virtual user, with its own cookie jar

interface Reply {
  status: number;
  headers: Headers;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: a JSON body of any shape, checked where it is read
  json: any;
}

/** A virtual user: the shared cookie jar, each answer tallied against what the step expects. */
class Agent extends CookieJarClient {
  readonly #tally: Tally;

  constructor(base: string, tally: Tally) {
    super(base);
    this.#tally = tally;
  }

  async call(
    route: string,
    path: string,
    init: {
      method?: string;
      json?: unknown;
      form?: Record<string, string>;
      headers?: Record<string, string>;
      expect: number[];
    },
  ): Promise<Reply> {
    const { expect: _expected, ...request } = init;
    const hasBody = init.json !== undefined || init.form !== undefined;
    let reply: Reply;
    try {
      const response = await this.request(path, {
        ...request,
        method: init.method ?? (hasBody ? 'POST' : 'GET'),
        signal: AbortSignal.timeout(REQUEST_DEADLINE_MS),
      });
      const text = await response.text();
      let json: unknown;
      try {
        json = text ? JSON.parse(text) : undefined;
      } catch {
        json = undefined;
      }
      reply = { status: response.status, headers: response.headers, text, json };
    } catch (error) {
      this.#tally.record(route, 0, init.expect, (error as Error).message);
      throw new StepFailed(`${route}: ${(error as Error).message}`);
    }
    this.#tally.record(route, reply.status, init.expect, reply.text.slice(0, 120));
    if (!init.expect.includes(reply.status)) throw new StepFailed(`${route} answered ${reply.status}`);
    return reply;
  }
}

/** A step got an answer it did not expect: already tallied; the virtual user starts over. */
class StepFailed extends Error {}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

// ---------------------------------------------------------------------------------------------
// What each virtual user does

interface Note {
  owner: string;
  id: string;
  text: string;
}

interface World {
  base: string;
  tally: Tally;
  notes: Note[];
  running: () => boolean;
}

/** API calls with one credential: reads, and a note written then read back. */
async function useApi(agent: Agent, world: World, owner: string, headers: Record<string, string>, mode: string) {
  for (let i = 0; i < CALLS_PER_TOKEN && world.running(); i++) {
    if (i % 2 === 0) {
      const me = await agent.call(`GET /api/me (${mode})`, '/api/me', { headers, expect: [200] });
      if (me.json?.mode !== mode || me.json?.email !== owner) world.tally.fail(`/api/me (${mode}) said ${me.text}`);
      continue;
    }
    const text = `soak ${mode} ${randomBytes(6).toString('hex')}`;
    const created = await agent.call(`POST /api/notes (${mode})`, '/api/notes', {
      json: { text },
      headers,
      expect: [201],
    });
    world.notes.push({ owner, id: created.json.id, text });
    const read = await agent.call(`GET /api/notes/:id (${mode})`, `/api/notes/${created.json.id}`, {
      headers,
      expect: [200],
    });
    if (read.json?.text !== text) world.tally.fail(`note ${created.json.id} read back as ${read.text}`);
  }
}

async function sessionUser(agent: Agent, world: World, email: string): Promise<void> {
  await agent.call('POST /session/login', '/session/login', { json: { email, password: PASSWORD }, expect: [200] });
  const me = await agent.call('GET /session/me', '/session/me', { expect: [200] });
  if (me.json?.user?.email !== email) world.tally.fail(`/session/me said ${me.text}`);
  await useApi(agent, world, email, {}, 'session');
  const cookie = agent.cookieHeader();
  await agent.call('POST /session/logout', '/session/logout', { method: 'POST', expect: [204] });
  // The old cookie is dead on the server, not only forgotten by the client.
  await agent.call('GET /session/me (after logout)', '/session/me', { headers: { cookie }, expect: [401] });
}

async function jwtUser(agent: Agent, world: World, email: string): Promise<void> {
  const login = await agent.call('POST /jwt/login', '/jwt/login', {
    json: { email, password: PASSWORD, device_name: 'soak' },
    expect: [200],
  });
  await useApi(agent, world, email, bearer(login.json.access_token), 'jwt');
  const refreshed = await agent.call('POST /jwt/refresh', '/jwt/refresh', {
    json: { refresh_token: login.json.refresh_token },
    expect: [200],
  });
  await useApi(agent, world, email, bearer(refreshed.json.access_token), 'jwt');
  await agent.call('POST /jwt/logout', '/jwt/logout', {
    json: { refresh_token: refreshed.json.refresh_token },
    expect: [204],
  });
  await agent.call('GET /api/me (jwt, after logout)', '/api/me', {
    headers: bearer(refreshed.json.access_token),
    expect: [401],
  });
}

/** The authorization-code flow with PKCE, the way a browser without JavaScript runs it. */
async function oidcUser(agent: Agent, world: World, email: string): Promise<void> {
  agent.cookies.clear();
  const verifier = randomBytes(32).toString('base64url');
  const redirectUri = 'http://127.0.0.1:53682/callback';
  const state = randomBytes(12).toString('base64url');
  const query = new URLSearchParams({
    client_id: 'authlab-desktop',
    response_type: 'code',
    redirect_uri: redirectUri,
    scope: 'openid email offline_access api',
    prompt: 'consent',
    state,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  });
  let reply = await agent.call('GET /oidc/auth', `/oidc/auth?${query}`, { expect: [303] });
  let code: string | null = null;
  for (let hop = 0; hop < 10 && code === null; hop++) {
    const location = new URL(reply.headers.get('location') ?? '', agent.base);
    if (location.href.startsWith(redirectUri)) {
      if (location.searchParams.get('state') !== state) world.tally.fail('OIDC: state mismatch');
      code = location.searchParams.get('code');
      break;
    }
    if (location.pathname.startsWith('/oidc/interaction/')) {
      const uid = location.pathname.split('/')[3] ?? '';
      const page = await agent.call('GET /oidc/interaction/:uid', location.pathname, { expect: [200] });
      reply = page.text.includes('name="password"')
        ? await agent.call('POST /oidc/interaction/:uid/login', `/oidc/interaction/${uid}/login`, {
            form: { email, password: PASSWORD },
            expect: [303],
          })
        : await agent.call('POST /oidc/interaction/:uid/confirm', `/oidc/interaction/${uid}/confirm`, {
            form: {},
            expect: [303],
          });
      continue;
    }
    reply = await agent.call('GET /oidc/auth/:uid (resume)', location.pathname + location.search, { expect: [303] });
  }
  if (!code) {
    world.tally.fail('OIDC: the flow ended without a code');
    return;
  }
  const tokens = await agent.call('POST /oidc/token (code)', '/oidc/token', {
    form: {
      client_id: 'authlab-desktop',
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
      code_verifier: verifier,
    },
    expect: [200],
  });
  await useApi(agent, world, email, bearer(tokens.json.access_token), 'oidc');
  const refreshed = await agent.call('POST /oidc/token (refresh)', '/oidc/token', {
    form: { client_id: 'authlab-desktop', grant_type: 'refresh_token', refresh_token: tokens.json.refresh_token },
    expect: [200],
  });
  await useApi(agent, world, email, bearer(refreshed.json.access_token), 'oidc');
  await agent.call('POST /oidc/token/revocation', '/oidc/token/revocation', {
    form: { client_id: 'authlab-desktop', token: refreshed.json.refresh_token, token_type_hint: 'refresh_token' },
    expect: [200],
  });
  await agent.call('GET /api/me (oidc, after revocation)', '/api/me', {
    headers: bearer(refreshed.json.access_token),
    expect: [401],
  });
}

async function virtualUser(index: number, world: World): Promise<void> {
  const agent = new Agent(world.base, world.tally);
  const email = USERS[index % USERS.length] ?? 'alice@example.com';
  const run = [sessionUser, jwtUser, oidcUser][index % 3] ?? sessionUser;
  while (world.running()) {
    try {
      await run(agent, world, email);
    } catch (error) {
      if (!(error instanceof StepFailed)) world.tally.fail(`${run.name}: ${(error as Error).stack ?? error}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The server process and its memory

interface ServerProcess {
  child: ChildProcess;
  url: string;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

async function startServerProcess(env: Record<string, string>): Promise<ServerProcess> {
  const port = Number(env.PORT);
  // Every server variable of the shell is dropped (an ARGON2_* or TRUST_PROXY would change what
  // is measured), and NODE_OPTIONS (an --inspect would too), then the soak's own are set.
  const childEnv = serverEnv(env);
  delete childEnv.NODE_OPTIONS;
  const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', mainTs], {
    cwd: repoRoot,
    env: childEnv,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}: ${stderr}`);
    try {
      if ((await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) })).status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`the server did not answer /healthz within 30 s: ${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { child, url, stderr: () => stderr, exited };
}

/** Resident set size of a process in MiB: /proc on Linux, `ps` elsewhere. */
function rssMiB(pid: number): number | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1]);
    if (Number.isFinite(kib)) return kib / 1024;
  } catch {
    // not Linux
  }
  try {
    return Number(execFileSync('ps', ['-o', 'rss=', '-p', String(pid)], { encoding: 'utf8' }).trim()) / 1024;
  } catch {
    return null;
  }
}

interface Sample {
  atSec: number;
  mib: number;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

// ---------------------------------------------------------------------------------------------
// The token manager run

interface TokenManagerReport {
  calls: number;
  surfaced401: number;
  errors: string[];
  refreshes: Array<{ atMs: number; status: number; token: string }>;
  runMs: number;
  lifetimeSec: number;
  marginSec: number;
}

async function runTokenManager(base: string, minutes: number, tally: Tally): Promise<TokenManagerReport> {
  const refreshes: TokenManagerReport['refreshes'] = [];
  const started = Date.now();
  // Counts what the token manager's source sends to /jwt/refresh, and what it gets back.
  const countingFetch: typeof fetch = async (input, init) => {
    const url = String(input instanceof Request ? input.url : input);
    const response = await fetch(input, init);
    if (url.endsWith('/jwt/refresh')) {
      const presented = JSON.parse(String(init?.body ?? '{}')).refresh_token as string;
      refreshes.push({ atMs: Date.now() - started, status: response.status, token: presented });
    }
    return response;
  };
  const source = new JwtSource({ server: base, fetch: countingFetch });
  const tokens = await source.login(TM_USER, PASSWORD, 'soak token manager');
  const manager = new TokenManager({ source, vault: new MemoryVault(), account: `jwt:${base}`, autoRefresh: true });
  await manager.signIn(tokens);
  const lifetimeSec = tokens.expiresIn;
  const marginSec = Math.min(30, lifetimeSec / 5); // TokenManager's default margin
  const report: TokenManagerReport = {
    calls: 0,
    surfaced401: 0,
    errors: [],
    refreshes,
    runMs: 0,
    lifetimeSec,
    marginSec,
  };
  const until = started + minutes * 60_000;
  while (Date.now() < until) {
    try {
      const response = await manager.fetch(`${base}/api/me`, { signal: AbortSignal.timeout(REQUEST_DEADLINE_MS) });
      await response.arrayBuffer();
      report.calls++;
      tally.record('GET /api/me (token manager)', response.status, [200]);
      if (response.status === 401) report.surfaced401++;
    } catch (error) {
      report.errors.push((error as Error).message);
    }
    await new Promise((resolve) => setTimeout(resolve, TM_CALL_INTERVAL_MS));
  }
  report.runMs = Date.now() - started;
  manager.close();
  await manager.signOut(); // revokes the family (/jwt/logout), not counted as a refresh
  return report;
}

// ---------------------------------------------------------------------------------------------
// Lost writes

async function findLostWrites(base: string, notes: Note[], tally: Tally): Promise<{ checked: number; lost: string[] }> {
  const lost: string[] = [];
  for (const owner of USERS) {
    const agent = new Agent(base, tally);
    const login = await agent.call('POST /jwt/login (verify)', '/jwt/login', {
      json: { email: owner, password: PASSWORD },
      expect: [200],
    });
    const list = await agent.call('GET /api/notes (verify)', '/api/notes', {
      headers: bearer(login.json.access_token),
      expect: [200],
    });
    const stored = new Map<string, string>(
      (list.json.notes as Array<{ id: string; text: string }>).map((note) => [note.id, note.text]),
    );
    for (const note of notes.filter((n) => n.owner === owner)) {
      if (stored.get(note.id) !== note.text) lost.push(`${owner} ${note.id}`);
    }
  }
  return { checked: notes.length, lost };
}

// ---------------------------------------------------------------------------------------------

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length))) ?? [];
  return rows.map((row) => row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ')).join('\n');
}

async function main(): Promise<void> {
  const options = parseOptions();
  const dataDir = mkdtempSync(join(tmpdir(), 'authlab-soak-'));
  let redis: RedisServer | undefined;
  let server: ServerProcess | undefined;
  const cleanup = async () => {
    if (server && server.child.exitCode === null) server.child.kill('SIGKILL');
    await redis?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  process.once('SIGINT', () => {
    void cleanup().then(() => process.exit(130));
  });

  try {
    const port = await freePort();
    const env: Record<string, string> = {
      PORT: String(port),
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      DATA_DIR: dataDir,
      ACCESS_TOKEN_TTL: '1m',
      LOG_LEVEL: 'warn',
    };
    if (options.redis) {
      redis = await startRedisServer();
      env.REDIS_URL = redis.url;
    }
    server = await startServerProcess(env);
    const pid = server.child.pid ?? 0;
    const store = options.redis ? 'redis' : 'sqlite';
    process.stdout.write(
      `soak: server pid ${pid} on ${server.url} (${store}), ${options.connections} virtual users for ${options.durationSec} s, ` +
        `token manager for ${options.tmMinutes} min\n`,
    );

    const tally = new Tally();
    const samples: Sample[] = [];
    const t0 = Date.now();
    const sampler = setInterval(() => {
      const mib = rssMiB(pid);
      if (mib !== null) samples.push({ atSec: (Date.now() - t0) / 1000, mib });
    }, 1_000);
    const startMib = rssMiB(pid) ?? Number.NaN;

    let loadRunning = true;
    const world: World = { base: server.url, tally, notes: [], running: () => loadRunning };
    const tokenManager = runTokenManager(server.url, options.tmMinutes, tally);
    const users = Array.from({ length: options.connections }, (_, i) => virtualUser(i, world));
    const progress = setInterval(() => {
      const elapsed = Math.round((Date.now() - t0) / 1000);
      const mib = samples.at(-1)?.mib.toFixed(0) ?? '?';
      process.stdout.write(`  ${elapsed} s: ${tally.total} requests, ${world.notes.length} notes, RSS ${mib} MiB\n`);
    }, 10_000);
    await new Promise((resolve) => setTimeout(resolve, options.durationSec * 1_000));
    loadRunning = false;
    await Promise.all(users);
    const loadEndSec = (Date.now() - t0) / 1000;
    const loadTotal = tally.total;
    process.stdout.write(`  load done after ${loadEndSec.toFixed(0)} s; token manager still running\n`);
    const tm = await tokenManager;
    clearInterval(progress);
    clearInterval(sampler);
    const endMib = rssMiB(pid) ?? Number.NaN;

    const writes = await findLostWrites(server.url, world.notes, tally);

    server.child.kill('SIGTERM');
    const exit = await Promise.race([
      server.exited,
      new Promise<{ code: null; signal: 'timeout' }>((resolve) =>
        setTimeout(() => resolve({ code: null, signal: 'timeout' }), 15_000).unref(),
      ),
    ]);

    // Memory: the warm-up is the first quarter of the load (at least 3 s); the level after it is
    // the median of the next 5 samples, the end of the load the median of its last 3.
    const warmupSec = Math.max(3, options.durationSec / 4);
    const loadSamples = samples.filter((s) => s.atSec <= loadEndSec);
    const postWarmup = median(
      loadSamples
        .filter((s) => s.atSec > warmupSec)
        .slice(0, 5)
        .map((s) => s.mib),
    );
    const endOfLoad = median(loadSamples.slice(-3).map((s) => s.mib));
    const peak = Math.max(...samples.map((s) => s.mib));
    const memoryFlat = endOfLoad <= postWarmup * (1 + MEMORY_TOLERANCE);

    // Token manager: one refresh per (lifetime − margin), each with the token of the one before.
    const period = tm.lifetimeSec - tm.marginSec;
    const expectedLow = Math.floor((tm.runMs / 1000 - 2) / period);
    const expectedHigh = Math.floor((tm.runMs / 1000 + 2) / period);
    const tokens = new Set(tm.refreshes.map((r) => r.token));
    const gaps = tm.refreshes.map((r, i) => (r.atMs - (i === 0 ? 0 : (tm.refreshes[i - 1]?.atMs ?? 0))) / 1000);
    const refreshesOk =
      tm.refreshes.length >= expectedLow &&
      tm.refreshes.length <= expectedHigh &&
      tokens.size === tm.refreshes.length &&
      tm.refreshes.every((r) => r.status === 200) &&
      gaps.every((gap) => gap >= period - 2);

    const rows = [['criterion', 'result', 'detail']];
    const criteria: Array<[string, boolean, string]> = [
      ['no 5xx', tally.classes['5xx'] === 0, `${tally.classes['5xx']} of ${tally.total}`],
      ['every request answered', tally.classes['no answer'] === 0, `${tally.classes['no answer']} without an answer`],
      ['only expected answers', tally.unexpected === 0, `${tally.unexpected} unexpected`],
      [
        'no lost writes',
        writes.lost.length === 0 && writes.checked > 0,
        `${writes.checked} notes created, ${writes.lost.length} missing`,
      ],
      [
        'memory flat',
        memoryFlat,
        `end of load ${endOfLoad.toFixed(0)} MiB vs ${postWarmup.toFixed(0)} MiB after warm-up (≤ +${MEMORY_TOLERANCE * 100} %)`,
      ],
      [
        'token manager: no 401 surfaced',
        tm.surfaced401 === 0 && tm.errors.length === 0 && tm.calls > 0,
        `${tm.calls} calls, ${tm.surfaced401} × 401, ${tm.errors.length} errors`,
      ],
      [
        'token manager: one refresh per lifetime',
        refreshesOk,
        `${tm.refreshes.length} refreshes in ${(tm.runMs / 1000).toFixed(0)} s (expected ${expectedLow === expectedHigh ? expectedLow : `${expectedLow}–${expectedHigh}`}: ${tm.lifetimeSec} s tokens, refreshed ${tm.marginSec} s early)` +
          (gaps.length > 0
            ? `, ${gaps.map((g) => g.toFixed(0)).join('/')} s apart`
            : ', run shorter than one token lifetime'),
      ],
      ['clean shutdown (SIGTERM → exit 0)', exit.code === 0, `exit ${exit.code ?? exit.signal}`],
    ];
    for (const [name, ok, detail] of criteria) rows.push([name, ok ? 'PASS' : 'FAIL', detail]);

    const statusRows = [['status class', 'count']];
    for (const [cls, count] of Object.entries(tally.classes)) {
      const note = cls === '4xx' ? ` (${tally.expected4xx} expected: dead credentials after logout/revocation)` : '';
      statusRows.push([cls, `${count}${note}`]);
    }
    const memoryRows = [
      ['memory (server RSS)', 'MiB'],
      ['start', startMib.toFixed(0)],
      ['after warm-up', postWarmup.toFixed(0)],
      ['peak', peak.toFixed(0)],
      ['end of load', endOfLoad.toFixed(0)],
      ['end of run', endMib.toFixed(0)],
    ];
    const routeRows = [['route', 'answers']];
    for (const [route, statuses] of [...tally.routes].sort(([a], [b]) => a.localeCompare(b))) {
      routeRows.push([route, [...statuses].map(([status, n]) => `${status}×${n}`).join(' ')]);
    }

    process.stdout.write(
      [
        '',
        `soak summary: ${store}, ${options.connections} virtual users, ${options.durationSec} s of load ` +
          `(${loadTotal} requests, ${(loadTotal / options.durationSec).toFixed(0)}/s), token manager ${options.tmMinutes} min`,
        '',
        table(statusRows),
        '',
        table(memoryRows),
        '',
        table(routeRows),
        '',
        table(rows),
        ...(tally.examples.length > 0
          ? ['', 'unexpected answers (first ones):', ...tally.examples.map((e) => `  ${e}`)]
          : []),
        ...(tm.errors.length > 0 ? ['', 'token manager errors:', ...tm.errors.slice(0, 5).map((e) => `  ${e}`)] : []),
        ...(server.stderr() ? ['', 'server stderr:', server.stderr().slice(-2_000)] : []),
        '',
      ].join('\n'),
    );
    const failed = criteria.filter(([, ok]) => !ok).length;
    process.stdout.write(failed === 0 ? 'soak: PASS\n' : `soak: FAIL (${failed} criteria)\n`);
    process.exitCode = failed === 0 ? 0 : 1;
  } finally {
    await cleanup();
  }
}

await main();
