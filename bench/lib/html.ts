import { DEFAULT_ARGON2 } from '../../packages/auth-core/src/index.ts';
import { barChart, escapeHtml } from '../../packages/html/src/index.ts';
import type { BenchResults, RowResult } from './results.ts';

/** Three families of rows, three colours: the floor, ours, the Express peers. */
function kindOf(row: RowResult): 'floor' | 'ours' | 'peer' {
  if (row.name === 'koa-bare') return 'floor';
  return row.name.startsWith('express-') ? 'peer' : 'ours';
}

const COLOURS = { floor: '#8a8f98', ours: '#2f6fdf', peer: '#e0892b', second: '#9cc0f5' } as const;

function table(headers: string[], rows: string[][]): string {
  const head = headers.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`).join('\n');
  return `<table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

const times = (n: number | null) => (n === null ? '—' : `${n.toFixed(2)}×`);

/** The self-contained report: inline CSS and SVG only, so it opens on an offline laptop. */
export function renderHtml(results: BenchResults): string {
  const { machine, login, memory } = results;
  const rows = results.results;
  const throughput = barChart(
    'Requests per second, GET with each mode’s credential',
    'higher is better',
    rows.map((r) => ({
      label: r.name,
      value: r.requestsPerSec,
      colour: COLOURS[kindOf(r)],
      text: `${r.requestsPerSec} req/s`,
    })),
  );
  const latency = barChart(
    'Latency p50 and p99',
    'ms, lower is better',
    rows.flatMap((r) => [
      { label: `${r.name} p50`, value: r.p50Ms, colour: COLOURS[kindOf(r)], text: `${r.p50Ms.toFixed(2)} ms` },
      { label: `${r.name} p99`, value: r.p99Ms, colour: COLOURS.second, text: `${r.p99Ms.toFixed(2)} ms` },
    ]),
  );
  const logins = barChart('Sign-in throughput against the argon2id ceiling', 'per second, higher is better', [
    {
      label: 'raw argon2id verify',
      value: login.argon2HashesPerSec,
      colour: COLOURS.floor,
      text: `${login.argon2HashesPerSec.toFixed(1)}/s`,
    },
    {
      label: 'POST /jwt/login',
      value: login.loginsPerSec,
      colour: COLOURS.ours,
      text: `${login.loginsPerSec.toFixed(1)}/s`,
    },
  ]);
  const rss = barChart(
    'Server RSS, idle and at the end of its load',
    'MB',
    rows.flatMap((r) => [
      { label: `${r.name} idle`, value: r.rssIdleMb, colour: COLOURS.second, text: `${r.rssIdleMb.toFixed(0)} MB` },
      { label: `${r.name} load`, value: r.rssLoadMb, colour: COLOURS[kindOf(r)], text: `${r.rssLoadMb.toFixed(0)} MB` },
    ]),
  );
  const summary = table(
    [
      'target',
      'stack',
      'route',
      'req/s',
      'p50 ms',
      'p99 ms',
      'vs koa-bare',
      'vs peer',
      'CPU server / load',
      'server CPU µs/req',
    ],
    rows.map((r) => [
      r.name,
      r.stack,
      r.route,
      String(r.requestsPerSec),
      r.p50Ms.toFixed(2),
      r.p99Ms.toFixed(2),
      times(r.vsKoaBare),
      r.peer ? `${times(r.vsPeer)} ${r.peer}` : '—',
      `${r.serverCpuPct}% / ${r.loadCpuPct}%`,
      r.serverCpuUsPerRequest === undefined ? '—' : String(r.serverCpuUsPerRequest),
    ]),
  );
  const connections = rows[0]?.connections ?? 0;
  const duration = rows[0]?.durationSec ?? 0;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>authlab benchmarks</title>
<style>
body { font: 15px/1.5 system-ui, sans-serif; margin: 2rem auto; max-width: 900px; padding: 0 1rem; color: #1d2129; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.15rem; margin-top: 2rem; }
table { border-collapse: collapse; margin: 1rem 0; } th, td { padding: .25rem .6rem; border-bottom: 1px solid #dde1e6; text-align: right; }
th:nth-child(-n+3), td:nth-child(-n+3) { text-align: left; }
figure { margin: 1.5rem 0; } figcaption { font-weight: 600; margin-bottom: .4rem; } .unit { font-weight: 400; color: #5c6370; }
.legend span { display: inline-block; margin-right: 1rem; } .swatch { display: inline-block; width: .8rem; height: .8rem; margin-right: .3rem; vertical-align: -1px; }
.note { color: #5c6370; }
</style>
</head>
<body>
<h1>authlab benchmarks</h1>
<p>${escapeHtml(machine.cpuModel)}, ${machine.cores} cores, Node ${escapeHtml(machine.node)}, ${escapeHtml(machine.os)}; ${escapeHtml(machine.profile)} run, ${escapeHtml(machine.measuredAt)}.
Every row: ${connections} connections for ${duration} s in all (rounds of 1 s that visit the rows forwards, then backwards; ratios are the median of the rounds' ratios) after a warm-up, autocannon in the harness process, each server in its own process on loopback. Load average before the run: ${machine.loadAverageAtStart}.</p>
<p class="legend"><span><i class="swatch" style="background:${COLOURS.floor}"></i>koa-bare (the floor)</span><span><i class="swatch" style="background:${COLOURS.ours}"></i>authlab</span><span><i class="swatch" style="background:${COLOURS.peer}"></i>Express peers</span></p>
${summary}
${throughput}
${latency}
<h2>Sign-in</h2>
<p>${login.loginsPerSec.toFixed(1)} logins/s (p50 ${login.loginP50Ms} ms, p99 ${login.loginP99Ms} ms, ${login.connections} connections) against ${login.argon2HashesPerSec.toFixed(1)} raw argon2id verifications/s at the same parameters: ${Math.round(login.ofArgon2Ceiling * 100)}% of the ceiling.
Event-loop delay in the server during the burst: p50 ${login.eventLoopDelayP50Ms} ms, p99 ${login.eventLoopDelayP99Ms} ms, max ${login.eventLoopDelayMaxMs} ms (argon2 runs on the thread pool, off the loop).</p>
${logins}
<h2>Memory</h2>
<p>The authlab server: ${memory.rssIdleMb} MB RSS idle after start, ${memory.rssLoadMb} MB at peak under the jwt row's load, ${login.rssPeakMb} MB at peak during the login burst (each argon2id hash holds its ${Math.round(DEFAULT_ARGON2.memoryCost / 1024)} MiB while it runs).</p>
${rss}
<p class="note">Produced by <code>pnpm bench</code>; the numbers are in <code>latest.json</code> beside this file.</p>
</body>
</html>
`;
}
