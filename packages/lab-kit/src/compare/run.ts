/**
 * `pnpm lab compare`, the measuring part: starts the real server, runs every scenario against its
 * three modes, and returns the matrix. Printing and files are command.ts's business.
 */
import { randomBytes } from 'node:crypto';
import { cpus, loadavg, platform, release } from 'node:os';
import { addUser, DEMO_PASSWORD, removeDir, SERVER_LOG_LEVEL, SERVER_MAIN, startServerProcess } from '@authlab/testkit';
import type { Browser } from 'playwright-core';
import { launchLabBrowser } from '../browser.ts';
import { REPO_ROOT } from '../labs.ts';
import { browserRows } from './browser-scenarios.ts';
import { credentialSizeRow } from './credential-size.ts';
import { apiMe, signIn } from './http.ts';
import { revocationRow } from './revocation.ts';
import type { Account, ScenarioContext } from './scenario.ts';
import { type RecordedSequences, recordSequences } from './sequence-diagrams.ts';
import { serverStateRow } from './server-state.ts';
import { twoInstancesRow } from './two-instances.ts';
import {
  type Cell,
  type CompareParams,
  type CompareResult,
  failedCell,
  MODES,
  type Mode,
  type Row,
  type ScenarioId,
} from './types.ts';
import { verificationCostRow } from './verification-cost.ts';

export const ROWS: Array<Omit<Row, 'cells'>> = [
  {
    id: 'revocation',
    number: 1,
    title: 'Stolen credential after “log out everywhere”',
    question: 'How long does a copied credential keep working once the user logs out everywhere?',
  },
  {
    id: 'script-read',
    number: 2,
    title: 'Injected script reads the credential',
    question: 'Can a script running in the mode’s own page read the credential?',
  },
  {
    id: 'cross-site-form',
    number: 3,
    title: 'Cross-site form acts',
    question: 'Can a form on another site change state through the signed-in browser?',
  },
  {
    id: 'credential-size',
    number: 4,
    title: 'Credential on the wire',
    question: 'How many bytes carry the credential on every API request?',
  },
  {
    id: 'server-state',
    number: 5,
    title: 'Server-side state per user',
    question: 'What does the server keep per signed-in user?',
  },
  {
    id: 'verification-cost',
    number: 6,
    title: 'Per-request verification cost',
    question: 'What does checking the credential add to a request (vs. GET /healthz)?',
  },
  {
    id: 'two-instances',
    number: 7,
    title: 'Two instances, no shared store',
    question: 'Does a credential from instance A work on instance B, which has its own store?',
  },
];

const DEMO_ACCOUNTS = ['alice@example.com', 'bob@example.com', 'admin@example.com', 'legacy@example.com'];

export interface RunOptions {
  params: CompareParams;
  /** One line at a time, as the run goes. */
  progress?: (line: string) => void;
}

const allFailed = (error: unknown, source: string): Record<Mode, Cell> =>
  Object.fromEntries(MODES.map((mode) => [mode, failedCell(error, source)])) as Record<Mode, Cell>;

export async function runCompare(options: RunOptions): Promise<CompareResult> {
  const { params } = options;
  const started = performance.now();
  const generatedAt = new Date().toISOString();
  const loadAverageAtStart = Math.round((loadavg()[0] ?? 0) * 100) / 100;
  const elapsed = () => `${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s`;
  const progress = (line: string) => options.progress?.(`[${elapsed()}] ${line}`);

  progress(`starting the server (node apps/server/src/main.ts, SQLite in a temporary DATA_DIR; ${params.profile} run)`);
  const main = await startServerProcess();
  const cells = new Map<ScenarioId, Record<Mode, Cell>>();
  let browser: Browser | null = null;
  let sequences: RecordedSequences | undefined;
  try {
    progress(`server on ${main.url} (pid ${main.pid})`);
    const accounts: Account[] = DEMO_ACCOUNTS.map((email) => ({ email, password: DEMO_PASSWORD }));
    if (params.stateUsers > accounts.length) {
      const password = `Compare-${randomBytes(12).toString('base64url')}-lab`;
      const extra = params.stateUsers - accounts.length;
      progress(`adding ${extra} accounts with pnpm users add (for row 5)`);
      for (let i = 1; i <= extra; i++) {
        const email = `compare-${String(i).padStart(2, '0')}@example.com`;
        await addUser(main.dataDir, email, password);
        accounts.push({ email, password });
      }
    }
    const ctx: ScenarioContext = { main, params, accounts, progress: (line) => progress(line) };
    const alice = accounts[0] as Account;

    progress('rows 4 and 6: signing alice in as a session, JWT and OIDC client');
    const credentials = Object.fromEntries(
      await Promise.all(MODES.map(async (mode) => [mode, await signIn(main.url, mode, alice.email, alice.password)])),
    ) as Record<Mode, Awaited<ReturnType<typeof signIn>>>;
    for (const mode of MODES) {
      const answer = await apiMe(main.url, credentials[mode]);
      if (answer.status !== 200 || answer.body?.mode !== mode) {
        throw new Error(`GET /api/me with the ${mode} credential answered ${answer.status} ${answer.text}`);
      }
    }
    progress('row 4: credential size on the wire');
    cells.set('credential-size', await credentialSizeRow(credentials));
    progress(
      `row 6: verification cost, ${params.latencyRequests} requests per route after ${params.latencyWarmup} warm-up rounds`,
    );
    try {
      cells.set('verification-cost', await verificationCostRow(ctx, credentials));
    } catch (error) {
      cells.set('verification-cost', allFailed(error, 'sequential GET /api/me vs GET /healthz'));
    }

    progress(`row 5: server-side state, ${params.stateUsers} accounts signed in per mode`);
    cells.set('server-state', await serverStateRow(ctx));

    progress('row 7: two instances without a shared store');
    try {
      cells.set('two-instances', await twoInstancesRow(ctx));
    } catch (error) {
      cells.set('two-instances', allFailed(error, 'two server processes with separate stores'));
    }

    progress('rows 2 and 3: the browser (system Chromium)');
    try {
      browser = await launchLabBrowser();
      const rows = await browserRows(ctx, browser);
      cells.set('script-read', rows.scriptRead);
      cells.set('cross-site-form', rows.crossSiteForm);
      progress('sequence diagrams: sign in, call, refresh and sign out through /compare, recorded');
      // Not a row of the matrix: a failure here is reported and leaves the cells alone.
      sequences = await recordSequences(browser, main.url, alice).catch((error: unknown) => {
        progress(`sequence diagrams failed: ${(error as Error).message}`);
        return undefined;
      });
    } catch (error) {
      cells.set('script-read', allFailed(error, 'Chromium'));
      cells.set('cross-site-form', allFailed(error, 'Chromium'));
    }

    progress(
      `row 1: log out everywhere, then the stolen copy (${params.revocationRounds} round(s) per mode, cap ${params.revocationCapMs / 1000} s)`,
    );
    cells.set('revocation', await revocationRow(ctx));
  } finally {
    await browser?.close().catch(() => undefined);
    progress('stopping the server');
    await main.stop();
    removeDir(main.dataDir);
  }

  const rows: Row[] = ROWS.map((row) => ({
    ...row,
    cells: cells.get(row.id) ?? allFailed(new Error('the run stopped before this row'), row.title),
  }));
  const cpu = cpus();
  const result: CompareResult = {
    tool: 'pnpm lab compare',
    version: 1,
    generatedAt,
    durationMs: Math.round(performance.now() - started),
    params,
    machine: {
      node: process.version,
      os: `${platform()} ${release()}`,
      cpuModel: cpu[0]?.model.trim() ?? 'unknown',
      cores: cpu.length,
      loadAverageAtStart,
    },
    server: {
      command: `node ${SERVER_MAIN.slice(REPO_ROOT.length + 1)}`,
      store: 'sqlite',
      publicUrl: main.publicUrl,
      logLevel: SERVER_LOG_LEVEL,
    },
    rows,
    ...(sequences ? { sequences } : {}),
  };
  progress(`done in ${(result.durationMs / 1000).toFixed(0)} s`);
  return result;
}

/** Every cell that could not be measured, as `row/mode: why`. */
export function unmeasured(result: CompareResult): string[] {
  return result.rows.flatMap((row) =>
    MODES.filter((mode) => row.cells[mode].error !== undefined).map(
      (mode) =>
        `${row.number} ${row.title} / ${mode}: ${(row.cells[mode].error ?? '').replace(/\s+/g, ' ').slice(0, 300)}`,
    ),
  );
}
