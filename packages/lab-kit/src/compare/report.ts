import { type Bar, barChart, escapeHtml } from '@authlab/html';
/**
 * What a comparison run leaves behind: the matrix for the terminal, the JSON, and a self-contained
 * HTML report (inline CSS and SVG; no script, no external asset: it opens on an offline laptop).
 */
import { sequencesSection } from './sequence-diagrams.ts';
import { type Cell, type CompareResult, MODE_LABELS, MODES, type Mode, type Row } from './types.ts';

// ---------------------------------------------------------------------------------------------
// Terminal

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  for (const paragraph of text.split('\n')) {
    let line = '';
    for (const word of paragraph.split(' ')) {
      if (line === '') line = word;
      else if (line.length + 1 + word.length <= width) line += ` ${word}`;
      else {
        lines.push(line);
        line = word;
      }
      while (line.length > width) {
        lines.push(line.slice(0, width));
        line = line.slice(width);
      }
    }
    lines.push(line);
  }
  return lines;
}

/** The matrix: one block of lines per scenario, one column per mode. */
export function formatMatrix(result: CompareResult, width = process.stdout.columns ?? 140): string {
  const first = 30;
  const column = Math.max(24, Math.min(40, Math.floor((Math.max(width, 110) - first - 3 * 3) / 3)));
  const widths = [first, column, column, column];
  const rule = widths.map((w) => '─'.repeat(w)).join('─┼─');
  const render = (cells: string[][]) => {
    const height = Math.max(...cells.map((c) => c.length));
    const out: string[] = [];
    for (let i = 0; i < height; i++) {
      out.push(
        cells
          .map((lines, c) => (lines[i] ?? '').padEnd(widths[c] ?? 0))
          .join(' │ ')
          .trimEnd(),
      );
    }
    return out;
  };
  const header = render([[''], ...MODES.map((mode) => [mode.toUpperCase(), MODE_LABELS[mode]])]);
  const body = result.rows.flatMap((row) => [
    rule,
    ...render([
      wrap(`${row.number}. ${row.title}`, first),
      ...MODES.map((mode) => wrap(row.cells[mode].display, column)),
    ]),
  ]);
  return [...header, ...body].join('\n');
}

/** Per row, what happened in each mode (the sentences behind the matrix). */
export function formatDetails(result: CompareResult, width = 110): string {
  const out: string[] = [];
  for (const row of result.rows) {
    out.push(`${row.number}. ${row.title} — ${row.question}`);
    for (const mode of MODES) {
      const [line, ...rest] = wrap(row.cells[mode].detail, width - 12);
      out.push(`   ${mode.padEnd(8)} ${line ?? ''}`);
      for (const more of rest) out.push(`${' '.repeat(12)}${more}`);
    }
  }
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------------
// JSON, laid out as the repository's formatter (Biome) lays it out, so `pnpm lint` stays quiet

const LINE_WIDTH = 120;

function formatJson(value: unknown, indent: number, prefix: number): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  const pad = ' '.repeat(indent + 2);
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    const primitive = value.every((item) => item === null || typeof item !== 'object');
    if (primitive) {
      const flat = `[${value.map((item) => JSON.stringify(item)).join(', ')}]`;
      // The line: indentation, `"key": `, the array and a comma.
      if (prefix + flat.length + 1 <= LINE_WIDTH) return flat;
    }
    const items = value.map((item) => `${pad}${formatJson(item, indent + 2, indent + 2)}`);
    return `[\n${items.join(',\n')}\n${' '.repeat(indent)}]`;
  }
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  if (entries.length === 0) return '{}';
  const lines = entries.map(([key, item]) => {
    const head = `${pad}${JSON.stringify(key)}: `;
    return `${head}${formatJson(item, indent + 2, head.length)}`;
  });
  return `{\n${lines.join(',\n')}\n${' '.repeat(indent)}}`;
}

export function toJson(result: CompareResult): string {
  return `${formatJson(result, 0, 0)}\n`;
}

// ---------------------------------------------------------------------------------------------
// HTML

const COLOURS: Record<Mode, [string, string]> = {
  session: ['#2f6fdf', '#9cc0f5'],
  jwt: ['#d9771f', '#f3c08f'],
  oidc: ['#23925f', '#94d6b5'],
};

const cellOf = (result: CompareResult, id: Row['id'], mode: Mode): Cell | undefined =>
  result.rows.find((row) => row.id === id)?.cells[mode];
const numberFact = (cell: Cell | undefined, name: string): number | null => {
  const value = cell?.facts[name];
  return typeof value === 'number' ? value : null;
};

function charts(result: CompareResult): string {
  const revocation = MODES.flatMap((mode) => {
    const cell = cellOf(result, 'revocation', mode);
    const access = numberFact(cell, 'accessRevokedMs');
    const refresh = numberFact(cell, 'refreshRevokedMs');
    const cap = numberFact(cell, 'capMs') ?? 0;
    const bars: Bar[] = [
      {
        label: `${mode} ${mode === 'session' ? 'cookie' : 'access token'}`,
        value: cell?.facts.accessStillWorks ? cap : access,
        text: cell?.facts.accessStillWorks
          ? `still works after ${cap / 1000} s`
          : access === null
            ? 'n/a'
            : `${access} ms`,
        colour: COLOURS[mode][0],
      },
    ];
    if (cell?.facts.refreshApplicable) {
      bars.push({
        label: `${mode} refresh token`,
        value: cell.facts.refreshStillWorks ? cap : refresh,
        text: cell.facts.refreshStillWorks ? `still works after ${cap / 1000} s` : `${refresh} ms`,
        colour: COLOURS[mode][1],
      });
    }
    return bars;
  });
  const size = MODES.flatMap((mode) => {
    const cell = cellOf(result, 'credential-size', mode);
    const header = numberFact(cell, 'headerLineBytes');
    const refresh = numberFact(cell, 'refreshTokenBytes');
    const bars: Bar[] = [
      {
        label: `${mode} per API request`,
        value: header,
        text: header === null ? 'n/a' : `${header} B`,
        colour: COLOURS[mode][0],
      },
    ];
    if (refresh !== null) {
      bars.push({ label: `${mode} refresh token`, value: refresh, text: `${refresh} B`, colour: COLOURS[mode][1] });
    }
    return bars;
  });
  const state = MODES.map((mode) => {
    const cell = cellOf(result, 'server-state', mode);
    const bytes = numberFact(cell, 'bytesPerUser');
    const rows = numberFact(cell, 'rowsPerUser');
    return {
      label: mode,
      value: bytes,
      text: bytes === null ? 'n/a' : `${bytes} B in ${rows} ${rows === 1 ? 'row' : 'rows'}`,
      colour: COLOURS[mode][0],
    };
  });
  // The median, the figure the text calls robust, and p95 for the tail; a median below the noise
  // of this run is drawn hatched and says so, so a chance difference is never read as a ranking.
  const cost = MODES.flatMap((mode): Bar[] => {
    const cell = cellOf(result, 'verification-cost', mode);
    const median = numberFact(cell, 'deltaP50Us');
    const noise = numberFact(cell, 'noiseUs');
    const p95 = numberFact(cell, 'deltaP95Us');
    const belowNoise = median !== null && noise !== null && median <= noise;
    const medianText =
      median === null ? 'n/a' : belowNoise ? `${median} µs: below noise (±${noise} µs)` : `${median} µs (±${noise} µs)`;
    return [
      { label: `${mode} median`, value: median, text: medianText, colour: COLOURS[mode][0], belowNoise },
      { label: `${mode} p95`, value: p95, text: p95 === null ? 'n/a' : `${p95} µs`, colour: COLOURS[mode][1] },
    ];
  });
  return [
    barChart('1. Until the stolen credential is refused after “log out everywhere”', 'ms, lower is better', revocation),
    barChart(
      '4. Credential bytes on the wire',
      'bytes of the header line; the refresh token only goes to refresh',
      size,
    ),
    barChart('5. Server-side state per signed-in user', 'bytes of records in the SQLite store', state),
    barChart(
      '6. Verification cost per request, over GET /healthz',
      'µs, client-side, this machine; median ± two standard errors, hatched when within them',
      cost,
    ),
  ].join('\n');
}

/** Rows where "yes" is the weakness: script-read and cross-site form. */
const YES_IS_BAD = new Set<Row['id']>(['script-read', 'cross-site-form']);

function matrixTable(result: CompareResult): string {
  const head = `<tr><th scope="col">scenario</th>${MODES.map((mode) => `<th scope="col">${escapeHtml(mode)}<br><span class="unit">${escapeHtml(MODE_LABELS[mode])}</span></th>`).join('')}</tr>`;
  const body = result.rows
    .map((row) => {
      const cells = MODES.map((mode) => {
        const cell = row.cells[mode];
        let tone = '';
        if (cell.error) tone = 'error';
        else if (typeof cell.value === 'boolean' && YES_IS_BAD.has(row.id)) tone = cell.value ? 'bad' : 'good';
        const lines = cell.display
          .split('\n')
          .map((line) => escapeHtml(line))
          .join('<br>');
        return `<td class="${tone}" data-mode="${escapeHtml(mode)}"><strong>${lines}</strong><p>${escapeHtml(cell.detail)}</p></td>`;
      }).join('');
      return `<tr><th scope="row">${row.number}. ${escapeHtml(row.title)}<p>${escapeHtml(row.question)}</p></th>${cells}</tr>`;
    })
    .join('\n');
  return `<table class="matrix"><thead>${head}</thead><tbody>\n${body}\n</tbody></table>`;
}

function sources(result: CompareResult): string {
  return result.rows
    .map((row) => {
      const texts = MODES.map((mode) => row.cells[mode].source);
      const same = texts.every((text) => text === texts[0]);
      const items = same
        ? `<p>${escapeHtml(texts[0] ?? '')}</p>`
        : `<ul>${MODES.map((mode) => `<li><strong>${mode}</strong>: ${escapeHtml(row.cells[mode].source)}</li>`).join('')}</ul>`;
      return `<h3>${row.number}. ${escapeHtml(row.title)}</h3>${items}`;
    })
    .join('\n');
}

export function renderHtml(result: CompareResult): string {
  const { machine, params } = result;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>authlab: the three modes compared</title>
<style>
body { font: 15px/1.5 system-ui, sans-serif; margin: 2rem auto; max-width: 1200px; padding: 0 1rem; color: #1d2129; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.15rem; margin-top: 2rem; } h3 { font-size: 1rem; margin-bottom: .2rem; }
table.matrix { border-collapse: collapse; margin: 1rem 0; width: 100%; table-layout: fixed; }
.matrix th, .matrix td { padding: .5rem .6rem; border: 1px solid #dde1e6; vertical-align: top; text-align: left; }
.matrix thead th { background: #f4f6f8; } .matrix th[scope=row] { width: 19%; background: #fafbfc; }
.matrix p { margin: .3rem 0 0; font-size: .82rem; color: #4a505a; font-weight: 400; }
.matrix td.bad { background: #fdecea; } .matrix td.good { background: #eaf6ee; } .matrix td.error { background: #fff4d6; }
figure { margin: 1.5rem 0; overflow-x: auto; } figcaption { font-weight: 600; margin-bottom: .4rem; } .unit { font-weight: 400; color: #5c6370; }
.note { color: #5c6370; }
/* A phone: one scenario after another, each mode's cell under its name, nothing wider than the screen. */
@media (max-width: 720px) {
  body { margin: 1rem auto; }
  table.matrix, .matrix tbody, .matrix tr, .matrix th, .matrix td { display: block; width: auto; }
  .matrix thead { display: none; }
  .matrix tr { margin-bottom: 1rem; border: 1px solid #dde1e6; }
  .matrix th[scope=row] { width: auto; }
  .matrix td::before { content: attr(data-mode); display: block; font-size: .8rem; color: #5c6370; text-transform: uppercase; }
  svg { max-width: 100%; height: auto; }
}
</style>
</head>
<body>
<h1>authlab: server sessions, JWT and OpenID Connect, measured side by side</h1>
<p class="note">Generated by <code>pnpm lab compare${params.profile === 'quick' ? ' --quick' : ''}</code> on ${escapeHtml(result.generatedAt)} in ${(result.durationMs / 1000).toFixed(0)} s.
${escapeHtml(machine.cpuModel)}, ${machine.cores} cores, Node ${escapeHtml(machine.node)}, ${escapeHtml(machine.os)}; load average ${machine.loadAverageAtStart} at the start.
Server: <code>${escapeHtml(result.server.command)}</code>, SQLite store in a temporary DATA_DIR, LOG_LEVEL=${escapeHtml(result.server.logLevel)}.
Every cell below is the outcome of running the scenario against that server; nothing is typed in.</p>
<h2>The matrix</h2>
${matrixTable(result)}
<h2>Charts</h2>
${charts(result)}
<h2>How each row was measured</h2>
${sources(result)}
${sequencesSection(result.sequences)}
</body>
</html>
`;
}
