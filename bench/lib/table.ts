import type { BenchResults } from './results.ts';

const pad = (text: string, width: number, right = false) => (right ? text.padStart(width) : text.padEnd(width));
const times = (n: number | null) => (n === null ? '—' : `${n.toFixed(2)}×`);

/** The terminal summary: one line per row, then login and memory (those that were measured). */
export function formatTable(results: BenchResults): string {
  const header = [
    'target',
    'req/s',
    'p50 ms',
    'p99 ms',
    'vs koa-bare',
    'vs peer',
    'CPU srv/load',
    'µs/req',
    'RSS idle→load MB',
  ];
  const rows = results.results.map((r) => [
    r.name,
    String(r.requestsPerSec),
    r.p50Ms.toFixed(2),
    r.p99Ms.toFixed(2),
    times(r.vsKoaBare),
    r.peer ? `${times(r.vsPeer)} ${r.peer}` : '—',
    `${r.serverCpuPct}% / ${r.loadCpuPct}%`,
    String(r.serverCpuUsPerRequest ?? '—'),
    `${r.rssIdleMb.toFixed(0)} → ${r.rssLoadMb.toFixed(0)}`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => pad(c, widths[i] ?? 0, i > 0 && i < 5)).join('  ');
  const { login, memory, machine } = results;
  // `--only` runs leave the login burst or the jwt row (where memory is read) out: their zeros
  // are not measurements, so their lines are left out too.
  const loginRan = login.durationSec > 0;
  const memoryParts = [
    ...(results.results.some((r) => r.name === 'jwt')
      ? [`${memory.rssIdleMb} MB idle`, `${memory.rssLoadMb} MB under load`]
      : []),
    ...(loginRan ? [`${login.rssPeakMb} MB during the login burst`] : []),
  ];
  return [
    `${machine.cpuModel}, ${machine.cores} cores, Node ${machine.node}, ${machine.os} (${machine.profile})`,
    `load average ${machine.loadAverageAtStart} before the run` +
      (machine.loadAverageAtStart > 0.5
        ? ' — other work was sharing the CPU: trust the ratios more than the req/s'
        : ''),
    '',
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
    ...(loginRan
      ? [
          '',
          `login   POST /jwt/login ${login.loginsPerSec.toFixed(1)}/s (p50 ${login.loginP50Ms} ms, p99 ${login.loginP99Ms} ms)` +
            ` vs raw argon2id ${login.argon2HashesPerSec.toFixed(1)}/s (${Math.round(login.ofArgon2Ceiling * 100)}% of the ceiling)`,
          `        event-loop delay during the burst: p50 ${login.eventLoopDelayP50Ms} ms, p99 ${login.eventLoopDelayP99Ms} ms, max ${login.eventLoopDelayMaxMs} ms`,
        ]
      : []),
    ...(memoryParts.length > 0 ? [`memory  authlab server RSS ${memoryParts.join(', ')}`] : []),
  ].join('\n');
}
