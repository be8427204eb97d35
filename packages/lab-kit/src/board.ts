/**
 * `pnpm lab board [--json]`: each lab's state on this machine (not started, started, solved), when
 * it was started and solved, and how many hint tiers were used. `--json` prints it; without it a
 * page on 127.0.0.1 shows it and refreshes itself, until Ctrl-C.
 */
import { createServer } from 'node:http';
import { listLabs } from './labs.ts';
import { readProgress } from './state.ts';

export interface BoardRow {
  id: string;
  title: string;
  state: 'not started' | 'started' | 'solved';
  startedAt: string | null;
  solvedAt: string | null;
  hintsUsed: number;
  hintTiers: number;
}

export function boardRows(): BoardRow[] {
  const progress = readProgress();
  return listLabs().map((lab) => {
    const own = progress[lab.id];
    return {
      id: lab.id,
      title: lab.title,
      state: own?.solvedAt ? 'solved' : own?.startedAt ? 'started' : 'not started',
      startedAt: own?.startedAt ?? null,
      solvedAt: own?.solvedAt ?? null,
      hintsUsed: own?.hintsSeen ?? 0,
      hintTiers: lab.hints.length,
    };
  });
}

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

export function boardPage(rows: BoardRow[]): string {
  const time = (iso: string | null) => (iso ? escapeHtml(new Date(iso).toLocaleString()) : '');
  const body = rows
    .map(
      (row) =>
        `<tr class="${row.state.replace(' ', '-')}"><th scope="row">${escapeHtml(row.id)}</th><td>${escapeHtml(row.title)}</td>` +
        `<td>${row.state}</td><td>${time(row.startedAt)}</td><td>${time(row.solvedAt)}</td><td>${row.hintsUsed}/${row.hintTiers}</td></tr>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="5"><title>authlab: lab board</title>
<style>
body { font: 15px/1.5 system-ui, sans-serif; margin: 2rem auto; max-width: 960px; padding: 0 1rem; }
table { border-collapse: collapse; width: 100%; } th, td { padding: .4rem .6rem; border-bottom: 1px solid #dde1e6; text-align: left; }
tr.solved td:nth-child(3) { color: #1a7f37; font-weight: 600; } tr.started td:nth-child(3) { color: #9a6700; }
</style>
<h1>Lab board</h1>
<p>${rows.filter((row) => row.state === 'solved').length} of ${rows.length} solved. This page refreshes every 5 s; <a href="/board.json">board.json</a>.</p>
<table><thead><tr><th>lab</th><th>title</th><th>state</th><th>started</th><th>solved</th><th>hints</th></tr></thead>
<tbody>
${body}
</tbody></table>
</html>
`;
}

/** Serves the board on 127.0.0.1 until the process is stopped. */
export async function serveBoard(port = 0): Promise<{ url: string; close(): void }> {
  const server = createServer((req, res) => {
    const rows = boardRows();
    if (req.url === '/board.json') {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(`${JSON.stringify(rows, null, 2)}\n`);
    } else if (req.url === '/' && req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(boardPage(rows));
    } else {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not_found"}');
    }
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const { port: bound } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${bound}/`, close: () => server.close() };
}
