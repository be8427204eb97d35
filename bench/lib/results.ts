import { readFileSync } from 'node:fs';
import { arch, availableParallelism, cpus, platform, release, totalmem } from 'node:os';

/** One benchmarked route: `GET` with the row's credential, same connections and duration as every other row. */
export interface RowResult {
  name: string;
  requestsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  p90Ms: number;
  /** req/s over koa-bare's, round by round (the two ran seconds apart): the median of those. */
  vsKoaBare: number | null;
  /** The row it is compared with (ours ↔ the Express equivalent), if any. */
  peer: string | null;
  /** req/s over the peer's, round by round: the median of those. */
  vsPeer: number | null;
  route: string;
  stack: string;
  rssIdleMb: number;
  rssLoadMb: number;
  /** CPU the server used during the measured run, % of one core. */
  serverCpuPct: number;
  /** CPU autocannon (the harness) used meanwhile, % of one core. */
  loadCpuPct: number;
  /**
   * The server's CPU time per answered request, in µs: what a request costs the server whatever
   * share of the CPU it got, so it moves far less than req/s on a shared machine.
   */
  serverCpuUsPerRequest: number;
  connections: number;
  durationSec: number;
}

export interface BenchResults {
  machine: {
    cpuModel: string;
    cores: number;
    node: string;
    os: string;
    arch: string;
    memoryGb: number;
    measuredAt: string;
    profile: 'quick' | 'full';
    /** 1-minute load average before the run started: above ~0.5, other work was sharing the CPU. */
    loadAverageAtStart: number;
  };
  results: RowResult[];
  login: {
    loginsPerSec: number;
    argon2HashesPerSec: number;
    eventLoopDelayP99Ms: number;
    eventLoopDelayP50Ms: number;
    eventLoopDelayMaxMs: number;
    loginP50Ms: number;
    loginP99Ms: number;
    /** loginsPerSec / argon2HashesPerSec: how much of the machine's hashing ceiling a login gets. */
    ofArgon2Ceiling: number;
    rssPeakMb: number;
    connections: number;
    durationSec: number;
  };
  /** The authlab server (the `jwt` row's process): idle after start, and its peak under that row's load. */
  memory: { rssIdleMb: number; rssLoadMb: number };
}

/** The CPU model as /proc/cpuinfo names it (os.cpus() where that file does not exist). */
export function cpuModel(): string {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('model name'));
    if (line) return line.split(':').slice(1).join(':').trim();
  } catch {
    // Not Linux.
  }
  return cpus()[0]?.model ?? 'unknown';
}

export function describeMachine(profile: 'quick' | 'full', loadAverageAtStart: number): BenchResults['machine'] {
  return {
    cpuModel: cpuModel(),
    cores: availableParallelism(),
    node: process.version,
    os: `${platform()} ${release()}`,
    arch: arch(),
    memoryGb: Math.round(totalmem() / 1024 ** 3),
    measuredAt: new Date().toISOString(),
    profile,
    loadAverageAtStart: Math.round(loadAverageAtStart * 100) / 100,
  };
}

export const mb = (n: number) => Math.round(n * 10) / 10;
