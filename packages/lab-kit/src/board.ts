/**
 * `pnpm lab board [--json]`: each lab's state on this machine (not started, started, solved, or
 * tampered: a solve in the progress file that this runner did not record), when it was started and
 * solved, and how many hint tiers were used. `--json` prints it; without it a page on 127.0.0.1
 * shows it and refreshes itself, until Ctrl-C. The class board (`--class`) is in class/.
 */
import { createServer } from 'node:http';
import { escapeHtml } from '@authlab/html';
import { BOARD_HEADERS, boardShell, JSON_HEADERS, shownTime } from './board-html.ts';
import { listLabs } from './labs.ts';
import { type LabStatus, labStatus, solveKey } from './solve-proof.ts';
import { readProgress } from './state.ts';

export interface BoardRow {
  id: string;
  title: string;
  state: LabStatus;
  startedAt: string | null;
  solvedAt: string | null;
  hintsUsed: number;
  hintTiers: number;
}

export function boardRows(): BoardRow[] {
  const progress = readProgress();
  const key = solveKey();
  return listLabs().map((lab) => {
    const own = progress[lab.id];
    const state = labStatus(key, lab.id, own);
    return {
      id: lab.id,
      title: lab.title,
      state,
      startedAt: own?.startedAt ?? null,
      solvedAt: state === 'solved' ? (own?.solvedAt ?? null) : null,
      hintsUsed: own?.hintsSeen ?? 0,
      hintTiers: lab.hints.length,
    };
  });
}

export function boardPage(rows: BoardRow[]): string {
  const body = rows
    .map(
      (row) =>
        `<tr><th scope="row">${escapeHtml(row.id)}</th><td>${escapeHtml(row.title)}</td>` +
        `<td class="${escapeHtml(row.state.replace(' ', '-'))}">${escapeHtml(row.state)}</td><td>${shownTime(row.startedAt)}</td>` +
        `<td>${shownTime(row.solvedAt)}</td><td>${row.hintsUsed}/${row.hintTiers}</td></tr>`,
    )
    .join('\n');
  const solved = rows.filter((row) => row.state === 'solved').length;
  return boardShell(
    'authlab: lab board',
    `<h1>Lab board</h1>
<p>${solved} of ${rows.length} solved. This page refreshes every 5 s; <a href="/board.json">board.json</a>.</p>
<div class="scroll"><table><thead><tr><th>lab</th><th>title</th><th>state</th><th>started</th><th>solved</th><th>hints</th></tr></thead>
<tbody>
${body}
</tbody></table></div>`,
    { refreshSeconds: 5 },
  );
}

/** Serves the board on 127.0.0.1 (this machine only) until the process is stopped. */
export async function serveBoard(port = 0): Promise<{ url: string; close(): void }> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET') {
      res.writeHead(405, JSON_HEADERS).end('{"error":"method_not_allowed"}');
    } else if (req.url === '/board.json') {
      res.writeHead(200, JSON_HEADERS).end(`${JSON.stringify(boardRows(), null, 2)}\n`);
    } else if (req.url === '/') {
      res.writeHead(200, BOARD_HEADERS).end(boardPage(boardRows()));
    } else {
      res.writeHead(404, JSON_HEADERS).end('{"error":"not_found"}');
    }
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const { port: bound } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${bound}/`, close: () => server.close() };
}
