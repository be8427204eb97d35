/**
 * `pnpm bench`: authlab's API under load in each sign-in mode, against a bare Koa floor and the
 * usual Express equivalents, all in one run on this machine.
 *
 *   pnpm bench                  the full run (about 4 minutes on 2 cores)
 *   pnpm bench --quick          shorter runs (about 2 minutes), the same rows
 *   pnpm bench --only jwt,oidc  some rows only (nothing is written to results/)
 *   pnpm bench --profile        also write a V8 CPU profile of every server to bench/profiles/
 *   pnpm bench --help           the flags and row names
 *
 * Each target is its own Node process (so autocannon, here, never shares its event loop), on
 * loopback, warmed up, then loaded with the same connections for the same total time, in rounds
 * of one second that visit the targets forwards then backwards; the ratios between rows are the
 * medians of their ratios round by round. Needs redis-server (a private one is started on a free
 * port).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { type RedisServer, redisServerBinary, startRedisServer } from '../packages/testkit/src/index.ts';
import { argon2VerifiesPerSec } from './lib/argon2-rate.ts';
import { assertAuthenticated, type Credential, credentialHeaders } from './lib/credentials.ts';
import { renderHtml } from './lib/html.ts';
import { type LoadResult, type LoadRun, runLoad, summarize } from './lib/load.ts';
import { type BenchResults, describeMachine, mb, type RowResult } from './lib/results.ts';
import { formatTable } from './lib/table.ts';
import { TargetProcess, warmCompileCache } from './lib/target-process.ts';

interface Target {
  name: string;
  script: string;
  redis: boolean;
  credential: Credential;
  path: string;
  stack: string;
  peer: string | null;
}

/** The rows, in the order they run and print. */
const TARGETS: Target[] = [
  {
    name: 'koa-bare',
    script: 'authlab.ts',
    redis: false,
    credential: 'none',
    // The whole authlab app (every middleware: request id, security headers, origin check, body
    // parser, session layer) answering a 334-byte asset from memory: no auth, no store.
    path: '/assets/favicon.svg',
    stack: 'authlab Koa app, no auth, no store',
    peer: null,
  },
  {
    name: 'session-sqlite',
    script: 'authlab.ts',
    redis: false,
    credential: 'session',
    path: '/api/me',
    stack: 'authlab session cookie, SQLite',
    peer: null,
  },
  {
    name: 'session-redis',
    script: 'authlab.ts',
    redis: true,
    credential: 'session',
    path: '/api/me',
    stack: 'authlab session cookie, Redis',
    peer: 'express-session-redis',
  },
  {
    name: 'jwt',
    script: 'authlab.ts',
    redis: false,
    credential: 'jwt',
    path: '/api/me',
    stack: 'authlab JWT Bearer (EdDSA + revocation), SQLite',
    peer: 'express-passport-jwt',
  },
  {
    name: 'oidc',
    script: 'authlab.ts',
    redis: false,
    credential: 'oidc',
    path: '/api/me',
    stack: 'authlab OIDC access token (EdDSA + grant), SQLite',
    peer: null,
  },
  {
    name: 'express-session-redis',
    script: 'express-session-redis.ts',
    redis: true,
    credential: 'express-session',
    path: '/me',
    stack: 'Express 5 + express-session + connect-redis',
    peer: 'session-redis',
  },
  {
    name: 'express-passport-jwt',
    script: 'express-passport-jwt.ts',
    redis: false,
    credential: 'express-jwt',
    path: '/me',
    stack: 'Express 5 + passport-jwt (ES256, stateless)',
    peer: 'jwt',
  },
];

/**
 * Rounds of one second: on a shared machine (a VM whose neighbours come and go) the speed of
 * every process drifts by ±20% over tens of seconds, so rows measured 4–5 s apart saw different
 * machines; with 1-s rounds a pass over every row takes seconds, and its ratios compare rows that
 * ran moments apart (see `medianRatio`).
 */
const PROFILES = {
  quick: { connections: 50, warmupSec: 3, rounds: 8, roundSec: 1, loginConnections: 8, loginSec: 6, argon2Sec: 3 },
  full: { connections: 50, warmupSec: 5, rounds: 20, roundSec: 1, loginConnections: 8, loginSec: 15, argon2Sec: 10 },
} as const;

const ROWS = [...TARGETS.map((t) => t.name), 'login'];
const USAGE = `usage: pnpm bench [--quick] [--only <row>,<row>…] [--profile]
  rows: ${ROWS.join(', ')}
`;

/** A mistyped flag or row is a usage error (exit 2), never a silent full run over results/. */
function usageError(message: string): never {
  process.stderr.write(`bench: ${message}\n${USAGE}`);
  process.exit(2);
}

function parseOptions(argv: string[]) {
  let values: { quick?: boolean; profile?: boolean; only?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        quick: { type: 'boolean' },
        profile: { type: 'boolean' },
        only: { type: 'string' },
        help: { type: 'boolean' },
      },
      allowPositionals: false,
    }));
  } catch (error) {
    usageError((error as Error).message);
  }
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const only = values.only === undefined ? null : values.only.split(',').filter(Boolean);
  if (only?.length === 0) usageError('--only needs at least one row');
  for (const name of only ?? []) {
    if (!ROWS.includes(name)) usageError(`--only: unknown row "${name}"`);
  }
  return { quick: values.quick ?? false, profile: values.profile ?? false, only };
}

const args = parseOptions(process.argv.slice(2));
const settings = PROFILES[args.quick ? 'quick' : 'full'];
const targets = TARGETS.filter((t) => !args.only || args.only.includes(t.name));
const runLogin = !args.only || args.only.includes('login');
const steps = targets.length + (runLogin ? 2 : 0);
const progress = (step: number, name: string, what: string) =>
  process.stdout.write(`[${step}/${steps}] ${name}: ${what}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const profileDir = args.profile ? new URL(`./profiles/${Date.now()}/`, import.meta.url).pathname : undefined;
if (profileDir) mkdirSync(profileDir, { recursive: true });

/** A measured run must be all answers, all 2xx: a bench of refusals measures nothing. */
function assertClean(name: string, result: LoadResult): void {
  if (result.non2xx > 0 || result.errors > 0 || result.requests === 0) {
    throw new Error(`${name}: ${result.non2xx} non-2xx answers and ${result.errors} errors in the measured runs`);
  }
}

/**
 * CPU used by the server and by this process (autocannon) between now and the call of the
 * returned function. A server well under 100% of a core while the harness is busy means the
 * load generator or other processes on the machine, not the server, set the pace.
 */
async function cpuMeter(server: TargetProcess) {
  const started = performance.now();
  const serverStart = await server.cpuMs();
  const loadStart = process.cpuUsage();
  return async () => {
    const load = process.cpuUsage(loadStart);
    return {
      wallMs: performance.now() - started,
      serverMs: (await server.cpuMs()) - serverStart,
      loadMs: (load.user + load.system) / 1000,
    };
  };
}

/** A target's server, up and signed in, and what its measured rounds have added up to so far. */
interface LiveTarget {
  target: Target;
  step: number;
  server: TargetProcess;
  url: string;
  headers: Record<string, string>;
  rssIdleMb: number;
  rssLoadMb: number;
  runs: LoadRun[];
  cpu: { wallMs: number; serverMs: number; loadMs: number };
}

async function startTarget(target: Target, step: number, redis: RedisServer | undefined): Promise<LiveTarget> {
  progress(step, target.name, 'starting its server…');
  const server = await TargetProcess.start({
    script: target.script,
    label: target.name,
    env: {
      ...(target.redis && redis ? { BENCH_REDIS_URL: redis.url } : {}),
      // authlab's servers run as README's "Memory" advises on Linux: each argon2id hash takes
      // 19 MiB, and with glibc's default (a threshold that rises after the first large free) every
      // libuv thread that hashed keeps its 19 MiB resident for good. Ignored off glibc.
      ...(target.script === 'authlab.ts' ? { MALLOC_MMAP_THRESHOLD_: '131072' } : {}),
    },
    ...(profileDir ? { cpuProfileDir: profileDir } : {}),
  });
  try {
    await sleep(500);
    const rssIdleMb = await server.rssMb();
    const headers = await credentialHeaders(target.credential, server.url);
    const url = new URL(target.path, server.url).toString();
    await assertAuthenticated(url, headers);
    return {
      target,
      step,
      server,
      url,
      headers,
      rssIdleMb,
      rssLoadMb: 0,
      runs: [],
      cpu: { wallMs: 0, serverMs: 0, loadMs: 0 },
    };
  } catch (error) {
    await server.stop();
    throw error;
  }
}

async function measureRound(live: LiveTarget): Promise<void> {
  const { server } = live;
  const peakRss = server.sampleRss();
  const cpu = await cpuMeter(server);
  const run = await runLoad({
    url: live.url,
    headers: live.headers,
    connections: settings.connections,
    durationSec: settings.roundSec,
  });
  const used = await cpu();
  live.rssLoadMb = Math.max(live.rssLoadMb, await peakRss());
  live.runs.push(run);
  live.cpu.wallMs += used.wallMs;
  live.cpu.serverMs += used.serverMs;
  live.cpu.loadMs += used.loadMs;
}

/**
 * Every target's server runs at once (idle ones cost nothing), and the measured time is cut into
 * rounds that visit the targets forwards, then backwards, so a burst of other work on the machine
 * falls on every row alike instead of on whichever row happened to run then.
 */
async function benchTargets(redis: RedisServer | undefined): Promise<LiveTarget[]> {
  const live: LiveTarget[] = [];
  try {
    for (const [i, target] of targets.entries()) live.push(await startTarget(target, i + 1, redis));
    for (const t of live) {
      progress(t.step, t.target.name, `warming up (${settings.warmupSec} s)…`);
      await runLoad({
        url: t.url,
        headers: t.headers,
        connections: settings.connections,
        durationSec: settings.warmupSec,
      });
    }
    for (let round = 1; round <= settings.rounds; round++) {
      process.stdout.write(
        `round ${round}/${settings.rounds}: ${settings.roundSec} s per row, ${settings.connections} connections…\n`,
      );
      const order = round % 2 === 1 ? live : [...live].reverse();
      for (const t of order) await measureRound(t);
    }
    return live;
  } finally {
    for (const t of live) await t.server.stop();
  }
}

async function benchLogin(step: number) {
  progress(step, 'login', 'starting its server…');
  const server = await TargetProcess.start({
    script: 'authlab.ts',
    label: 'login',
    ...(profileDir ? { cpuProfileDir: profileDir } : {}),
  });
  try {
    const url = new URL('/jwt/login', server.url).toString();
    const login = {
      url,
      method: 'POST' as const,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'alice@example.com', password: 'correct-horse-battery-staple' }),
      connections: settings.loginConnections,
    };
    progress(step, 'login', 'warming up (2 s)…');
    await runLoad({ ...login, durationSec: 2 });
    progress(step, 'login', `login burst (${settings.loginSec} s, ${settings.loginConnections} connections)…`);
    await server.startDelayMonitor();
    const peakRss = server.sampleRss();
    const result = summarize([await runLoad({ ...login, durationSec: settings.loginSec })]);
    const delay = await server.stopDelayMonitor();
    const rssPeakMb = await peakRss();
    assertClean('login', result);
    return { result, delay, rssPeakMb };
  } finally {
    await server.stop();
  }
}

async function main(): Promise<void> {
  const loadAverageStart = loadavg()[0] ?? 0;
  const needsRedis = targets.some((t) => t.redis);
  if (needsRedis && !redisServerBinary()) {
    throw new Error('redis-server not found: install it (apt-get install redis-server) or set REDIS_SERVER_BIN');
  }
  const redis = needsRedis ? await startRedisServer() : undefined;
  process.stdout.write('filling the compile cache (one server start, as `pnpm start` after the first)…\n');
  await warmCompileCache();
  let measured: LiveTarget[] = [];
  let login: Awaited<ReturnType<typeof benchLogin>> | undefined;
  let argon2 = 0;
  try {
    measured = await benchTargets(redis);
  } finally {
    await redis?.stop();
  }
  if (runLogin) {
    // Right before the burst, so both see the same machine.
    progress(targets.length + 1, 'argon2', `raw argon2id verifications (${settings.argon2Sec} s, no server running)…`);
    argon2 = await argon2VerifiesPerSec(settings.argon2Sec);
    login = await benchLogin(targets.length + 2);
  }

  const summaries = new Map(measured.map((t) => [t.target.name, summarize(t.runs)]));
  for (const [name, summary] of summaries) assertClean(name, summary);
  const runsOf = new Map(measured.map((t) => [t.target.name, t.runs]));
  /**
   * `name`'s req/s over `other`'s, round by round (the two ran seconds apart, on the same
   * machine), and the median of those: one round that a burst of other work hit moves it little.
   */
  const medianRatio = (name: string, other: string): number | null => {
    const mine = runsOf.get(name);
    const theirs = runsOf.get(other);
    if (!mine || !theirs) return null;
    const perRound: number[] = [];
    for (const [i, run] of mine.entries()) {
      const against = theirs[i];
      if (against && against.requests > 0 && against.durationSec > 0 && run.durationSec > 0) {
        perRound.push(run.requests / run.durationSec / (against.requests / against.durationSec));
      }
    }
    if (perRound.length === 0) return null;
    perRound.sort((a, b) => a - b);
    const mid = perRound.length >> 1;
    const median =
      perRound.length % 2 === 1
        ? (perRound[mid] as number)
        : ((perRound[mid - 1] as number) + (perRound[mid] as number)) / 2;
    return Math.round(median * 100) / 100;
  };
  const pct = (ms: number, wallMs: number) => (wallMs > 0 ? Math.round((ms / wallMs) * 100) : 0);
  const rows: RowResult[] = measured.map(({ target, rssIdleMb, rssLoadMb, cpu }) => {
    const result = summaries.get(target.name) as LoadResult;
    return {
      name: target.name,
      requestsPerSec: result.requestsPerSec,
      p50Ms: result.p50Ms,
      p99Ms: result.p99Ms,
      p90Ms: result.p90Ms,
      vsKoaBare: medianRatio(target.name, 'koa-bare'),
      peer: target.peer,
      vsPeer: target.peer ? medianRatio(target.name, target.peer) : null,
      route: `GET ${target.path}`,
      stack: target.stack,
      rssIdleMb: mb(rssIdleMb),
      rssLoadMb: mb(rssLoadMb),
      serverCpuPct: pct(cpu.serverMs, cpu.wallMs),
      loadCpuPct: pct(cpu.loadMs, cpu.wallMs),
      serverCpuUsPerRequest: result.requests > 0 ? Math.round((cpu.serverMs * 1000) / result.requests) : 0,
      connections: settings.connections,
      durationSec: result.durationSec,
    };
  });
  const jwtRow = rows.find((r) => r.name === 'jwt');
  const results: BenchResults = {
    machine: describeMachine(args.quick ? 'quick' : 'full', loadAverageStart),
    results: rows,
    login: {
      loginsPerSec: Math.round(((login?.result.requests ?? 0) / (login?.result.durationSec || 1)) * 10) / 10,
      argon2HashesPerSec: Math.round(argon2 * 10) / 10,
      eventLoopDelayP99Ms: login?.delay.p99Ms ?? 0,
      eventLoopDelayP50Ms: login?.delay.p50Ms ?? 0,
      eventLoopDelayMaxMs: login?.delay.maxMs ?? 0,
      loginP50Ms: login?.result.p50Ms ?? 0,
      loginP99Ms: login?.result.p99Ms ?? 0,
      ofArgon2Ceiling: argon2
        ? Math.round(((login?.result.requests ?? 0) / (login?.result.durationSec || 1) / argon2) * 100) / 100
        : 0,
      rssPeakMb: mb(login?.rssPeakMb ?? 0),
      connections: settings.loginConnections,
      durationSec: login?.result.durationSec ?? 0,
    },
    memory: { rssIdleMb: jwtRow?.rssIdleMb ?? 0, rssLoadMb: jwtRow?.rssLoadMb ?? 0 },
  };

  process.stdout.write(`\n${formatTable(results)}\n`);
  if (args.only) {
    process.stdout.write('\n(--only: results/bench/ left as it was)\n');
  } else {
    // Untracked (gitignored), so a `git pull` never conflicts with a run; the committed example
    // report is docs/examples/bench/.
    const dir = new URL('../results/bench/', import.meta.url);
    mkdirSync(dir, { recursive: true });
    writeFileSync(new URL('latest.json', dir), `${JSON.stringify(results, null, 2)}\n`);
    writeFileSync(new URL('latest.html', dir), renderHtml(results));
    process.stdout.write(`\nwrote results/bench/latest.json and results/bench/latest.html\n`);
  }
  if (profileDir) process.stdout.write(`CPU profiles: ${profileDir} (node bench/top-frames.ts <file>)\n`);
}

await main();
