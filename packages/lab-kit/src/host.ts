/**
 * The child process that runs one lab server: `node host.ts <server.ts>`. It listens on
 * 127.0.0.1 (an ephemeral port unless LAB_PORT is set), builds the app with a lab clock and a
 * fresh data folder, and prints one line `LAB_READY {json}` once it answers, so the runner
 * waits on an event instead of sleeping. Beside the app it serves two runner routes:
 *
 *   GET  /__lab/health          200 {"ok":true} once the app is built
 *   POST /__lab/clock {"advanceMs":n}   moves the lab clock forward
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { READY_PREFIX } from './host-protocol.ts';
import type { LabContext, LabServerFactory } from './server.ts';

const modulePath = process.argv[2];
if (!modulePath) {
  process.stderr.write('usage: node host.ts <path to server.ts>\n');
  process.exit(2);
}

let offsetMs = 0;
const MAX_DATE_MS = 8.64e15;
const clock = () => Date.now() + offsetMs;
const dataDir = mkdtempSync(join(tmpdir(), 'authlab-lab-'));
const published: Record<string, unknown> = {};
let handler: ((req: IncomingMessage, res: ServerResponse) => unknown) | null = null;

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  let text = '';
  for await (const chunk of req) {
    text += chunk;
    if (text.length > 1024) throw new Error('body too large');
  }
  return text ? JSON.parse(text) : {};
}

async function runnerRoute(req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.url === '/__lab/health' && req.method === 'GET') return reply(res, 200, { ok: handler !== null });
  if (req.url === '/__lab/clock' && req.method === 'POST') {
    try {
      const { advanceMs } = await readJson(req);
      // The moved clock must stay a time a Date can hold (at most 8.64e15 ms since the epoch).
      if (typeof advanceMs !== 'number' || !(advanceMs >= 0) || clock() + advanceMs > MAX_DATE_MS) {
        return reply(res, 400, {
          error: 'invalid_request',
          message: 'advanceMs: a number ≥ 0 (the clock stays a Date)',
        });
      }
      offsetMs += advanceMs;
      return reply(res, 200, { now: clock() });
    } catch {
      return reply(res, 400, { error: 'invalid_request', message: 'JSON body {"advanceMs":n}' });
    }
  }
  return reply(res, 404, { error: 'not_found' });
}

const server = createServer((req, res) => {
  if (req.url?.startsWith('/__lab/')) return void runnerRoute(req, res);
  if (!handler) return reply(res, 503, { error: 'starting' });
  handler(req, res);
});

function shutdown(code: number): void {
  server.close();
  server.closeAllConnections();
  process.exit(code);
}
// However this process ends (a stop, a crash, a failed start), its data folder goes with it.
process.on('exit', () => rmSync(dataDir, { recursive: true, force: true }));
process.on('SIGTERM', () => shutdown(0));
process.on('SIGINT', () => shutdown(0));
// The runner is gone (it exited, crashed or was killed): it closed the IPC channel it opened for
// this, or the pipe of the ready line. A server nobody can stop any more must not live on.
process.on('disconnect', () => shutdown(0));
process.stdout.on('error', () => shutdown(0));

const port = Number(process.env.LAB_PORT ?? 0);
server.listen(port, '127.0.0.1', async () => {
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no TCP address');
  const url = `http://127.0.0.1:${address.port}`;
  const lab: LabContext = {
    url,
    port: address.port,
    clock,
    dataDir,
    publish: (info) => Object.assign(published, info),
  };
  try {
    const imported = (await import(pathToFileURL(resolve(modulePath)).href)) as { default?: LabServerFactory };
    if (typeof imported.default !== 'function') {
      throw new Error(`${modulePath} must \`export default labServer((lab) => app)\``);
    }
    const app = await imported.default(lab);
    handler = typeof app === 'function' ? app : app.callback();
  } catch (error) {
    process.stderr.write(`The lab server did not start: ${(error as Error).stack ?? error}\n`);
    shutdown(1);
    return;
  }
  process.stdout.write(`${READY_PREFIX}${JSON.stringify({ url, port: address.port, dataDir, info: published })}\n`);
});
server.on('error', (error) => {
  process.stderr.write(`The lab server could not listen: ${error.message}\n`);
  process.exit(1);
});
