/**
 * A man in the middle for the class board's tests: an HTTP server that forwards each request to
 * the board, records both bodies as they crossed the "network", and may rewrite the board's
 * answer on the way back (`tamper`), as someone on the class wifi could.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Exchange {
  path: string;
  request: string;
  requestHeaders: Record<string, string | string[] | undefined>;
  status: number;
  response: string;
}

export interface RecordingProxy {
  url: string;
  exchanges: Exchange[];
  close(): Promise<void>;
}

export async function recordingProxy(
  target: string,
  tamper: (path: string, status: number, body: string) => string = (_path, _status, body) => body,
): Promise<RecordingProxy> {
  const exchanges: Exchange[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const request = Buffer.concat(chunks).toString('utf8');
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (typeof value === 'string' && !['host', 'content-length', 'connection'].includes(name)) headers[name] = value;
    }
    const answer = await fetch(`${target}${req.url}`, {
      method: req.method,
      headers,
      body: req.method === 'GET' ? undefined : request,
    });
    const response = tamper(req.url ?? '', answer.status, await answer.text());
    exchanges.push({ path: req.url ?? '', request, requestHeaders: req.headers, status: answer.status, response });
    res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'text/plain' }).end(response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    exchanges,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
