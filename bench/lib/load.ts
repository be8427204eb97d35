import autocannon from 'autocannon';

export interface LoadOptions {
  url: string;
  connections: number;
  durationSec: number;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
}

/** What one or more runs against one target add up to. */
export interface LoadResult {
  requestsPerSec: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  /** Answers counted (2xx only). */
  requests: number;
  non2xx: number;
  errors: number;
  durationSec: number;
}

/** The raw outcome of one run: every 2xx latency, exactly. */
export interface LoadRun {
  latencies: Float64Array;
  requests: number;
  non2xx: number;
  errors: number;
  durationSec: number;
}

/** Sorted-array percentile (nearest rank). */
export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? 0;
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/**
 * One autocannon run in this process (the harness; the server is another process). Latencies
 * come from autocannon's per-response times, kept exactly: its own histogram rounds to whole
 * milliseconds, too coarse for a route that answers in one.
 */
export async function runLoad(options: LoadOptions): Promise<LoadRun> {
  let latencies = new Float64Array(1 << 16);
  let count = 0;
  let instance!: autocannon.Instance;
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    instance = autocannon(
      {
        url: options.url,
        connections: options.connections,
        duration: options.durationSec,
        method: options.method ?? 'GET',
        headers: options.headers ?? {},
        ...(options.body !== undefined ? { body: options.body } : {}),
      },
      (error, done) => (error ? reject(error) : resolve(done)),
    );
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      if (statusCode < 200 || statusCode >= 300) return;
      if (count === latencies.length) {
        const grown = new Float64Array(latencies.length * 2);
        grown.set(latencies);
        latencies = grown;
      }
      latencies[count++] = responseTime;
    });
  });
  return {
    latencies: latencies.slice(0, count),
    requests: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    durationSec: result.duration,
  };
}

/** Throughput over the runs' total time, and latency percentiles over all their answers. */
export function summarize(runs: LoadRun[]): LoadResult {
  const all = new Float64Array(runs.reduce((n, r) => n + r.latencies.length, 0));
  let offset = 0;
  for (const run of runs) {
    all.set(run.latencies, offset);
    offset += run.latencies.length;
  }
  all.sort();
  const requests = runs.reduce((n, r) => n + r.requests, 0);
  const durationSec = runs.reduce((n, r) => n + r.durationSec, 0);
  return {
    requestsPerSec: durationSec > 0 ? Math.round(requests / durationSec) : 0,
    p50Ms: round2(percentile(all, 50)),
    p90Ms: round2(percentile(all, 90)),
    p99Ms: round2(percentile(all, 99)),
    requests,
    non2xx: runs.reduce((n, r) => n + r.non2xx, 0),
    errors: runs.reduce((n, r) => n + r.errors, 0),
    durationSec: round2(durationSec),
  };
}
