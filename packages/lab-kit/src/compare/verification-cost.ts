/** Row 6: what checking the credential adds to a request, against GET /healthz. */
import { Agent, request } from 'node:http';
import { credentialHeaders, type ModeCredential } from './http.ts';
import { perMode, round1, type ScenarioContext } from './scenario.ts';
import { type Cell, MODES, type Mode } from './types.ts';

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
  /** How far the median itself may move by chance: 1.2533·σ/√n, σ estimated robustly as IQR/1.349. */
  medianErrorUs: number;
}

function stats(samples: number[]): LatencyStats {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    meanUs: samples.reduce((sum, s) => sum + s, 0) / samples.length,
    p50Us: percentile(sorted, 50),
    p95Us: percentile(sorted, 95),
    medianErrorUs:
      (1.2533 * ((percentile(sorted, 75) - percentile(sorted, 25)) / 1.349)) / Math.sqrt(samples.length || 1),
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
    "the cost is the mode's median (and mean, p95) minus /healthz's; the median moves least with other work on the machine. Machine-dependent: numbers, not verdicts.";
  return perMode(source, async (mode) => {
    const own = stats(samples.get(mode) ?? []);
    const deltaMean = round1(own.meanUs - baseline.meanUs);
    const deltaP95 = round1(own.p95Us - baseline.p95Us);
    const deltaP50 = round1(own.p50Us - baseline.p50Us);
    // A difference of medians within two standard errors of it is not told apart from chance.
    const noiseUs = round1(2 * Math.hypot(own.medianErrorUs, baseline.medianErrorUs));
    const sign = (n: number) => (n >= 0 ? `+${n}` : `${n}`);
    // Below the baseline means the cost drowned in this machine's noise, not that it is negative.
    const shown = (n: number, what: string) =>
      n >= 0 ? `+${Math.round(n)} µs ${what}` : `≈0 µs ${what} (${Math.round(n)}: noise)`;
    return {
      value: deltaP50,
      unit: 'µs',
      display: `${shown(deltaP50, 'median')}\n${shown(deltaMean, 'mean')}, ${shown(deltaP95, 'p95')}`,
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
        deltaP50Us: deltaP50,
        noiseUs,
      },
    };
  });
}
