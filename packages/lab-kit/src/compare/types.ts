/**
 * The shape of a `pnpm lab compare` run: seven scenarios (rows) × three modes (columns), every
 * cell the outcome of running the scenario against the real server.
 */
import type { WireMessage } from '@authlab/sequence';

export const MODES = ['session', 'jwt', 'oidc'] as const;
export type Mode = (typeof MODES)[number];

export const MODE_LABELS: Record<Mode, string> = {
  session: 'server session',
  jwt: 'JWT + refresh',
  oidc: 'OpenID Connect',
};

export type ScenarioId =
  | 'revocation'
  | 'script-read'
  | 'cross-site-form'
  | 'credential-size'
  | 'server-state'
  | 'verification-cost'
  | 'two-instances';

/** A measured fact a test or a reader can rely on (JSON-safe). */
export type Fact = string | number | boolean | null | string[];

export interface Cell {
  /**
   * The headline measurement: a number in `unit`, or a yes/no. `null` only when the scenario could
   * not run for this mode, and then `error` says why.
   */
  value: number | boolean | null;
  /** `ms`, `bytes`, `µs`, `yes/no`, … */
  unit: string;
  /** Short text for the matrix (may hold a second line). */
  display: string;
  /** What happened, in a sentence or two. */
  detail: string;
  /** How the value was obtained: what was run, against what, read from where. */
  source: string;
  /** The measured facts behind the value, by name. */
  facts: Record<string, Fact>;
  error?: string;
}

export interface Row {
  id: ScenarioId;
  number: number;
  title: string;
  /** What the row asks, as a reader would. */
  question: string;
  cells: Record<Mode, Cell>;
}

export interface CompareParams {
  profile: 'quick' | 'full';
  /** Sign-in → logout-all → poll rounds per mode (the median is shown). */
  revocationRounds: number;
  /** How long a stolen credential is polled before "still works" is recorded. */
  revocationCapMs: number;
  /** Pause between two polls with the stolen credential. */
  revocationPollMs: number;
  /** Distinct accounts signed in per mode for the server-state row. */
  stateUsers: number;
  /** Sequential requests per route for the verification-cost row (after `latencyWarmup`). */
  latencyRequests: number;
  latencyWarmup: number;
}

export interface CompareResult {
  tool: 'pnpm lab compare';
  version: 1;
  generatedAt: string;
  durationMs: number;
  params: CompareParams;
  machine: { node: string; os: string; cpuModel: string; cores: number; loadAverageAtStart: number };
  server: { command: string; store: string; publicUrl: string; logLevel: string };
  rows: Row[];
  /** Each mode's messages as the server recorded them (sequence-diagrams.ts); absent when that part failed. */
  sequences?: Record<Mode, WireMessage[]>;
}

export const QUICK: CompareParams = {
  profile: 'quick',
  revocationRounds: 1,
  revocationCapMs: 5_000,
  revocationPollMs: 20,
  stateUsers: 4,
  latencyRequests: 300,
  latencyWarmup: 50,
};

export const FULL: CompareParams = {
  profile: 'full',
  revocationRounds: 5,
  revocationCapMs: 20_000,
  revocationPollMs: 20,
  stateUsers: 20,
  latencyRequests: 5_000,
  latencyWarmup: 500,
};

/** A cell for a mode where the scenario failed to run: the run goes on, the cell says why. */
export function failedCell(error: unknown, source: string): Cell {
  const full = error instanceof Error ? error.message : String(error);
  // A server that would not start brings its whole log: keep the part that says why.
  const message = full.length > 600 ? `${full.slice(0, 600)} …` : full;
  return {
    value: null,
    unit: '',
    display: 'not measured',
    detail: `The scenario failed: ${message}`,
    source,
    facts: {},
    error: message,
  };
}
