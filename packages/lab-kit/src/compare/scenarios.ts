/**
 * The scenarios that need no browser: revocation after "log out everywhere", the credential's
 * size on the wire, the server-side state per signed-in user, the per-request verification cost
 * and two instances without a shared store. Each returns one cell per mode, measured.
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backup, DatabaseSync } from 'node:sqlite';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  apiMe,
  credentialHeaders,
  headerLineBytes,
  jwksUrl,
  jwtParts,
  logoutEverywhere,
  type ModeCredential,
  signatureVerifiesWith,
  signIn,
  tryRefresh,
} from './http.ts';
import { removeDir, type ServerProcess, startServerProcess } from './server-process.ts';
import { snapshotStore, storeGrowth } from './store-size.ts';
import { type Cell, type CompareParams, failedCell, MODES, type Mode } from './types.ts';

export interface Account {
  email: string;
  password: string;
}

export interface ScenarioContext {
  main: ServerProcess;
  params: CompareParams;
  /** The accounts this run may sign in (demo accounts first, then any it added). */
  accounts: Account[];
  progress(text: string): void;
}

export const fmtMs = (ms: number) => (ms < 10 ? `${ms.toFixed(1)} ms` : `${Math.round(ms)} ms`);
/** 59 s, 10 min, 14 d: how long, roughly. */
export function fmtDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s} s`;
  if (s < 2 * 3600) return `${Math.round(s / 60)} min`;
  if (s < 2 * 86_400) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86_400)} d`;
}
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
};
const round1 = (n: number) => Math.round(n * 10) / 10;

/** Runs `measure` for each mode; a mode that fails gets a cell saying why and the others go on. */
export async function perMode(
  source: (mode: Mode) => string,
  measure: (mode: Mode) => Promise<Cell>,
): Promise<Record<Mode, Cell>> {
  const cells = {} as Record<Mode, Cell>;
  for (const mode of MODES) {
    try {
      cells[mode] = await measure(mode);
    } catch (error) {
      cells[mode] = failedCell(error, source(mode));
    }
  }
  return cells;
}

// ---------------------------------------------------------------------------------------------
// 1. How long a stolen credential keeps working after "log out everywhere"

interface PollOutcome {
  /** ms from the logout-all answer to the refusal's answer; null when it still worked at the cap. */
  refusedAfterMs: number | null;
  attempts: number;
  status: number;
}

async function pollUntilRefused(
  attempt: () => Promise<{ works: boolean; status: number }>,
  start: number,
  capMs: number,
  pauseMs: number,
): Promise<PollOutcome> {
  for (let attempts = 1; ; attempts++) {
    const { works, status } = await attempt();
    const elapsed = performance.now() - start;
    if (!works) return { refusedAfterMs: elapsed, attempts, status };
    if (elapsed >= capMs) return { refusedAfterMs: null, attempts, status };
    await sleep(pauseMs);
  }
}

const LOGOUT_ROUTE: Record<Mode, string> = {
  session: 'POST /session/logout-all',
  jwt: 'POST /jwt/logout-all',
  oidc: 'POST /api/logout-all',
};
const STOLEN: Record<Mode, string> = {
  session: 'the session cookie',
  jwt: 'the access token',
  oidc: 'the OIDC access token',
};

export function revocationRow(ctx: ScenarioContext): Promise<Record<Mode, Cell>> {
  const { params, main } = ctx;
  const account = ctx.accounts[0] as Account;
  const source = (mode: Mode) =>
    `HTTP against the real server: sign in as a ${mode} client, copy ${STOLEN[mode]}${mode === 'session' ? '' : ' and the refresh token (used once by the thief first)'}, ` +
    `${LOGOUT_ROUTE[mode]} from the legitimate client, then GET /api/me with the copy every ${params.revocationPollMs} ms until 401 ` +
    `(cap ${params.revocationCapMs / 1000} s); ${params.revocationRounds} round(s), median shown. Time runs from the 204 of logout-all to the refusing answer.${mode === 'session' ? '' : " Then the refused token's EdDSA signature is checked against the server's public JWKS, and its exp read, by the harness."}`;
  return perMode(source, async (mode) => {
    const access: PollOutcome[] = [];
    const refresh: PollOutcome[] = [];
    let lastStolen: ModeCredential | null = null;
    let refreshError = '';
    for (let round = 0; round < params.revocationRounds; round++) {
      const legit = await signIn(main.url, mode, account.email, account.password);
      const stolen = { ...legit };
      const before = await apiMe(main.url, stolen);
      if (before.status !== 200) throw new Error(`the copied credential did not work before logout: ${before.status}`);
      let stolenRefresh = legit.refreshToken;
      if (stolenRefresh) {
        const used = await tryRefresh(main.url, mode, stolenRefresh);
        if (!used.works || !used.next)
          throw new Error(`the copied refresh token did not work before logout: ${used.status}`);
        stolenRefresh = used.next;
      }
      const logout = await logoutEverywhere(main.url, legit);
      if (logout.status !== 204) throw new Error(`${LOGOUT_ROUTE[mode]} answered ${logout.status}: ${logout.text}`);
      const start = performance.now();
      const [accessOutcome, refreshOutcome] = await Promise.all([
        pollUntilRefused(
          async () => {
            const answer = await apiMe(main.url, stolen);
            return { works: answer.status === 200, status: answer.status };
          },
          start,
          params.revocationCapMs,
          params.revocationPollMs,
        ),
        stolenRefresh
          ? pollUntilRefused(
              async () => {
                const used = await tryRefresh(main.url, mode, stolenRefresh as string);
                if (used.works && used.next) stolenRefresh = used.next; // the thief keeps rotating
                if (!used.works) refreshError = used.error;
                return used;
              },
              start,
              params.revocationCapMs,
              params.revocationPollMs,
            )
          : Promise.resolve(null),
      ]);
      access.push(accessOutcome);
      lastStolen = stolen;
      if (refreshOutcome) refresh.push(refreshOutcome);
    }
    const summarise = (outcomes: PollOutcome[]) => {
      const stillWorks = outcomes.some((o) => o.refusedAfterMs === null);
      const ms = stillWorks ? params.revocationCapMs : median(outcomes.map((o) => o.refusedAfterMs ?? 0));
      const worst = outcomes.reduce((x, y) => (y.attempts > x.attempts ? y : x));
      const tries = worst.attempts === 1 ? '1st try' : `${worst.attempts} tries`;
      return {
        stillWorks,
        ms,
        attempts: worst.attempts,
        status: worst.status,
        shown: stillWorks ? `still works after ${params.revocationCapMs / 1000} s` : `${fmtMs(ms)} (${tries})`,
      };
    };
    const a = summarise(access);
    // Refused by the server — but is the token itself still good? What a verifier holding only the
    // public keys (another service, a gateway) would decide, checked with the server's own JWKS.
    let jwksOnly: { valid: boolean; expiresInS: number } | null = null;
    if (mode !== 'session' && lastStolen) {
      const exp = Number(jwtParts(lastStolen.raw).claims.exp);
      jwksOnly = {
        valid: await signatureVerifiesWith(await jwksUrl(main.url, mode), lastStolen.raw),
        expiresInS: Math.round(exp - Date.now() / 1000),
      };
    }
    const r = refresh.length > 0 ? summarise(refresh) : null;
    return {
      value: round1(a.ms),
      unit: 'ms',
      display: [
        a.shown,
        r ? `refresh token: ${r.shown}` : 'no refresh token',
        ...(jwksOnly?.valid ? [`signature-only check: valid ${fmtDuration(jwksOnly.expiresInS * 1000)} more`] : []),
      ].join('\n'),
      detail:
        `After ${LOGOUT_ROUTE[mode]}, the stolen copy of ${STOLEN[mode]} ${a.stillWorks ? `still worked after ${params.revocationCapMs / 1000} s` : `was refused (${a.status}) after ${fmtMs(a.ms)}, on try ${a.attempts}`}.` +
        (r
          ? ` The stolen refresh token ${r.stillWorks ? `still worked after ${params.revocationCapMs / 1000} s` : `was refused (${r.status}${refreshError ? ` ${refreshError}` : ''}) after ${fmtMs(r.ms)}, on try ${r.attempts}`}.`
          : ' The mode has no refresh token.') +
        (jwksOnly
          ? ` The refused token's signature ${jwksOnly.valid ? 'still verifies' : 'no longer verifies'} with the server's public JWKS and its exp is ${jwksOnly.expiresInS} s away: ${jwksOnly.valid ? 'a verifier that checks only signature and claims would accept it until then; this server refuses it because it consults its store on every request' : 'even a signature-only verifier refuses it'}.`
          : ''),
      source: source(mode),
      facts: {
        rounds: params.revocationRounds,
        capMs: params.revocationCapMs,
        logoutRoute: LOGOUT_ROUTE[mode],
        accessStillWorks: a.stillWorks,
        accessRevokedMs: a.stillWorks ? null : round1(a.ms),
        accessAttempts: a.attempts,
        accessFinalStatus: a.status,
        refreshApplicable: r !== null,
        refreshStillWorks: r ? r.stillWorks : null,
        refreshRevokedMs: r && !r.stillWorks ? round1(r.ms) : null,
        refreshAttempts: r ? r.attempts : null,
        refreshFinalStatus: r ? r.status : null,
        refreshError: r ? refreshError : null,
        jwksOnlyValid: jwksOnly ? jwksOnly.valid : null,
        jwksOnlyExpiresInS: jwksOnly ? jwksOnly.expiresInS : null,
      },
    };
  });
}

// ---------------------------------------------------------------------------------------------
// 4. Credential size on the wire

export function credentialSizeRow(credentials: Record<Mode, ModeCredential>): Promise<Record<Mode, Cell>> {
  const source = (mode: Mode) =>
    `The ${mode === 'session' ? 'Cookie header built from the Set-Cookie of POST /session/login' : `Authorization header built from the access_token of ${mode === 'jwt' ? 'POST /jwt/login' : 'the OIDC token endpoint (code + PKCE)'}`}, ` +
    'as sent with GET /api/me (which answered 200); bytes of the HTTP/1.1 header line "Name: value" with its CRLF.';
  return perMode(source, async (mode) => {
    const credential = credentials[mode];
    const bytes = headerLineBytes(credential.header);
    const valueBytes = Buffer.byteLength(credential.header.value);
    const parts = mode === 'session' ? null : jwtParts(credential.raw);
    const cookieNames = mode === 'session' ? credential.raw.split('; ').map((pair) => pair.split('=')[0] ?? '') : [];
    const refreshBytes = credential.refreshToken ? Buffer.byteLength(credential.refreshToken) : null;
    return {
      value: bytes,
      unit: 'bytes',
      display: `${bytes} B (${credential.header.name})${refreshBytes ? `\n+ ${refreshBytes} B refresh token, to refresh only` : ''}`,
      detail:
        (mode === 'session'
          ? `Cookie: ${cookieNames.join(' and ')} (the 256-bit id and its signature), ${valueBytes} bytes of value.`
          : `Authorization: Bearer + a ${Buffer.byteLength(credential.raw)}-byte JWT (header ${parts?.lengths[0]}, claims ${parts?.lengths[1]}, signature ${parts?.lengths[2]} base64url characters; claims ${Object.keys(parts?.claims ?? {}).join(', ')}).`) +
        (refreshBytes ? ` The ${refreshBytes}-byte refresh token travels only to the refresh endpoint.` : ''),
      source: source(mode),
      facts: {
        headerName: credential.header.name,
        headerLineBytes: bytes,
        headerValueBytes: valueBytes,
        credentialBytes: Buffer.byteLength(credential.raw),
        cookieNames,
        claimNames: parts ? Object.keys(parts.claims) : [],
        refreshTokenBytes: refreshBytes,
      },
    };
  });
}

// ---------------------------------------------------------------------------------------------
// 5. Server-side state per signed-in user

/** Accounts and their notes are the product's data, not sign-in state. */
const ACCOUNT_TABLES = new Set(['users', 'notes', 'identities']);

export function serverStateRow(ctx: ScenarioContext): Promise<Record<Mode, Cell>> {
  const dbPath = join(ctx.main.dataDir, 'authlab.db');
  const users = ctx.accounts.slice(0, ctx.params.stateUsers);
  const source = (mode: Mode) =>
    `${users.length} distinct accounts signed in as ${mode} clients over HTTP, one sign-in each; the SQLite file (${dbPath.split('/').slice(-1)[0]}, read with node:sqlite beside the running server) ` +
    'before and after: rows (COUNT) and record bytes per table (dbstat payload, table and indexes; SUM(LENGTH) of the values as well), ' +
    'excluding the account tables (users, notes, identities); the growth divided by the number of accounts.';
  return perMode(source, async (mode) => {
    const before = snapshotStore(dbPath);
    for (const account of users) await signIn(ctx.main.url, mode, account.email, account.password);
    const after = snapshotStore(dbPath);
    const growth = storeGrowth(before, after);
    const tables = Object.entries(growth).filter(([name]) => !ACCOUNT_TABLES.has(name.split(':')[0] ?? ''));
    const whole = tables.filter(([name]) => !name.includes(':'));
    const rows = whole.reduce((sum, [, size]) => sum + size.rows, 0) / users.length;
    const bytes = whole.reduce((sum, [, size]) => sum + size.bytes, 0) / users.length;
    const valueBytes = whole.reduce((sum, [, size]) => sum + size.valueBytes, 0) / users.length;
    const perTable = tables.map(
      ([name, size]) =>
        `${name}: ${size.rows >= 0 ? '+' : ''}${round1(size.rows / users.length)} ${size.rows === users.length ? 'row' : 'rows'}, ${size.bytes >= 0 ? '+' : ''}${Math.round(size.bytes / users.length)} B` +
        (size.keptForMs === undefined ? '' : ` (kept ${fmtDuration(size.keptForMs)})`),
    );
    return {
      value: Math.round(bytes),
      unit: 'bytes',
      display: `${Math.round(bytes)} B in ${round1(rows)} ${rows === 1 ? 'row' : 'rows'} per user`,
      detail: `Per signed-in user: ${perTable.join('; ') || 'nothing'} (record bytes by ${after.method}; ${Math.round(valueBytes)} B of values).`,
      source: source(mode),
      facts: {
        users: users.length,
        method: after.method,
        rowsPerUser: round1(rows),
        bytesPerUser: Math.round(bytes),
        valueBytesPerUser: Math.round(valueBytes),
        tables: perTable,
      },
    };
  });
}

// ---------------------------------------------------------------------------------------------
// 6. Per-request verification cost

function timedGet(agent: Agent, url: URL, headers: Record<string, string>): Promise<{ status: number; us: number }> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const req = request(
      { host: url.hostname, port: url.port, path: url.pathname, method: 'GET', headers, agent },
      (res) => {
        res.resume();
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, us: Number(process.hrtime.bigint() - start) / 1000 }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? 0;

interface LatencyStats {
  meanUs: number;
  p50Us: number;
  p95Us: number;
}

function stats(samples: number[]): LatencyStats {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    meanUs: samples.reduce((sum, s) => sum + s, 0) / samples.length,
    p50Us: percentile(sorted, 50),
    p95Us: percentile(sorted, 95),
  };
}

export async function verificationCostRow(
  ctx: ScenarioContext,
  credentials: Record<Mode, ModeCredential>,
): Promise<Record<Mode, Cell>> {
  const { params } = ctx;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const routes = [
    { name: 'baseline' as const, url: new URL('/healthz', ctx.main.url), headers: {} },
    ...MODES.map((mode) => ({
      name: mode,
      url: new URL('/api/me', ctx.main.url),
      headers: credentialHeaders(credentials[mode]),
    })),
  ];
  const samples = new Map<string, number[]>(routes.map((r) => [r.name, []]));
  const total = params.latencyWarmup + params.latencyRequests;
  try {
    for (let round = 0; round < total; round++) {
      // The order rotates each round, so no route always follows another.
      for (let i = 0; i < routes.length; i++) {
        const route = routes[(round + i) % routes.length] as (typeof routes)[number];
        const { status, us } = await timedGet(agent, route.url, route.headers);
        if (status !== 200) throw new Error(`GET ${route.url.pathname} (${route.name}) answered ${status}`);
        if (round >= params.latencyWarmup) samples.get(route.name)?.push(us);
      }
      if ((round + 1) % Math.max(1, Math.round(total / 4)) === 0) {
        ctx.progress(`    ${round + 1}/${total} rounds of /healthz + /api/me ×3`);
      }
    }
  } finally {
    agent.destroy();
  }
  const baseline = stats(samples.get('baseline') ?? []);
  const source = () =>
    `${params.latencyRequests} sequential GET /api/me with the credential, interleaved with as many GET /healthz (no credential; it pings the store) ` +
    `and the other modes' requests, one keep-alive connection, after ${params.latencyWarmup} warm-up rounds; client-side latency; ` +
    "the cost is the mode's mean (and p95) minus /healthz's. Machine-dependent: numbers, not verdicts.";
  return perMode(source, async (mode) => {
    const own = stats(samples.get(mode) ?? []);
    const deltaMean = round1(own.meanUs - baseline.meanUs);
    const deltaP95 = round1(own.p95Us - baseline.p95Us);
    const sign = (n: number) => (n >= 0 ? `+${n}` : `${n}`);
    return {
      value: deltaMean,
      unit: 'µs',
      display: `${sign(Math.round(deltaMean))} µs mean\n${sign(Math.round(deltaP95))} µs p95`,
      detail:
        `GET /api/me: mean ${Math.round(own.meanUs)} µs, p50 ${Math.round(own.p50Us)} µs, p95 ${Math.round(own.p95Us)} µs; ` +
        `GET /healthz: mean ${Math.round(baseline.meanUs)} µs, p50 ${Math.round(baseline.p50Us)} µs, p95 ${Math.round(baseline.p95Us)} µs ` +
        `(the medians differ by ${sign(Math.round(own.p50Us - baseline.p50Us))} µs, the figure least moved by other work on this machine).`,
      source: source(),
      facts: {
        requests: samples.get(mode)?.length ?? 0,
        baselineRequests: samples.get('baseline')?.length ?? 0,
        baselineRoute: 'GET /healthz',
        meanUs: round1(own.meanUs),
        p50Us: round1(own.p50Us),
        p95Us: round1(own.p95Us),
        baselineMeanUs: round1(baseline.meanUs),
        baselineP95Us: round1(baseline.p95Us),
        deltaMeanUs: deltaMean,
        deltaP95Us: deltaP95,
        baselineP50Us: round1(baseline.p50Us),
        deltaP50Us: round1(own.p50Us - baseline.p50Us),
      },
    };
  });
}

// ---------------------------------------------------------------------------------------------
// 7. Two instances without a shared store

/** Whether two folders hold byte-identical secret files. */
function sameSecrets(a: string, b: string): boolean {
  const names = readdirSync(join(a, 'secrets')).sort();
  return (
    names.join() === readdirSync(join(b, 'secrets')).sort().join() &&
    names.every((name) => readFileSync(join(a, 'secrets', name)).equals(readFileSync(join(b, 'secrets', name))))
  );
}

export async function twoInstancesRow(ctx: ScenarioContext): Promise<Record<Mode, Cell>> {
  const account = ctx.accounts[0] as Account;
  const dirB = mkdtempSync(join(tmpdir(), 'authlab-compare-b-'));
  let b: ServerProcess | null = null;
  try {
    // B starts from a consistent copy of A's accounts and secrets (SQLite's online backup, the
    // secrets/ folder), then keeps its own store: what A records from now on, B never sees.
    const copyFrom = new DatabaseSync(join(ctx.main.dataDir, 'authlab.db'), { readOnly: true });
    try {
      await backup(copyFrom, join(dirB, 'authlab.db'));
    } finally {
      copyFrom.close();
    }
    cpSync(join(ctx.main.dataDir, 'secrets'), join(dirB, 'secrets'), { recursive: true });
    const shared = sameSecrets(ctx.main.dataDir, dirB);
    const instanceB = await startServerProcess({ dataDir: dirB, publicUrl: ctx.main.publicUrl });
    b = instanceB;
    ctx.progress(
      `    instance B on ${instanceB.url} (PUBLIC_URL ${instanceB.publicUrl}, its own SQLite file, the same secrets/)`,
    );
    const source = (mode: Mode) =>
      `Two server processes behind one PUBLIC_URL: A, and B started from a copy of A's accounts and secrets (same keys: ${shared ? 'files identical' : 'files differ'}) with its own SQLite file. ` +
      `Sign in on A as a ${mode} client over HTTP, then GET /api/me with the credential on A and on B.` +
      (mode === 'session' ? '' : ` The token's EdDSA signature is checked by the harness against B's published JWKS.`);
    return await perMode(source, async (mode) => {
      const credential = await signIn(ctx.main.url, mode, account.email, account.password);
      const onA = await apiMe(ctx.main.url, credential);
      const onB = await apiMe(instanceB.url, credential);
      const signatureOnB =
        mode === 'session' ? null : await signatureVerifiesWith(await jwksUrl(instanceB.url, mode), credential.raw);
      const works = onB.status === 200;
      const error = String(onB.body?.error ?? '');
      const why =
        mode === 'session'
          ? 'B has the same cookie-signing keys but not the session record.'
          : signatureOnB
            ? `The signature verifies with B's keys, so B refused it on what its own store lacks (${mode === 'jwt' ? 'the refresh family the token names' : 'the grant the token names'}).`
            : "The signature does not verify with B's keys.";
      return {
        value: works,
        unit: 'yes/no',
        display: works ? 'yes: B answers 200' : `no: B answers ${onB.status}${error ? ` ${error}` : ''}`,
        detail: `A answered ${onA.status}, B answered ${onB.status}${error ? ` (${error})` : ''}. ${works ? 'B accepted the credential without ever seeing the sign-in.' : why}`,
        source: source(mode),
        facts: {
          worksOnA: onA.status === 200,
          statusOnA: onA.status,
          worksOnB: works,
          statusOnB: onB.status,
          errorOnB: error,
          sharedSecrets: shared,
          signatureVerifiesOnB: signatureOnB,
        },
      };
    });
  } finally {
    await b?.stop();
    removeDir(dirB);
  }
}
