/**
 * The server side of the bench harness's IPC channel. Every target process calls `serveBenchIpc`
 * once it listens: the parent then asks it, over the channel `child_process.fork`-style spawning
 * opened, for its RSS and for event-loop delay percentiles. Nothing here is an HTTP route, so the
 * app under test is exactly the app that ships.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';

/** Parent → child. */
export type BenchRequest =
  | { type: 'rss'; id: number }
  | { type: 'cpu'; id: number }
  | { type: 'eld-start'; id: number }
  | { type: 'eld-stop'; id: number }
  | { type: 'stop'; id: number };

/** Child → parent. */
export type BenchReply =
  | { type: 'ready'; url: string; pid: number }
  | { type: 'rss'; id: number; rssBytes: number }
  | { type: 'cpu'; id: number; userMicros: number; systemMicros: number }
  | { type: 'eld'; id: number; p50Ms: number; p99Ms: number; maxMs: number }
  | { type: 'ack'; id: number };

const send = (message: BenchReply) => process.send?.(message);

/**
 * Announces `url` to the parent and answers its questions until it says stop; `close` then runs
 * (stop accepting, close stores) and the process exits.
 */
export function serveBenchIpc(url: string, close: () => Promise<void>): void {
  if (!process.send) throw new Error('run this through bench/run.ts: it needs the IPC channel of its parent');
  // 1 ms resolution: a login burst stalls the loop for milliseconds, not tens of them.
  const delay = monitorEventLoopDelay({ resolution: 1 });
  process.on('message', (message: BenchRequest) => {
    switch (message.type) {
      case 'rss':
        send({ type: 'rss', id: message.id, rssBytes: process.memoryUsage.rss() });
        break;
      case 'cpu': {
        const { user, system } = process.cpuUsage();
        send({ type: 'cpu', id: message.id, userMicros: user, systemMicros: system });
        break;
      }
      case 'eld-start':
        delay.reset();
        delay.enable();
        send({ type: 'ack', id: message.id });
        break;
      case 'eld-stop': {
        delay.disable();
        const ms = (ns: number) => Math.round((ns / 1e6) * 100) / 100;
        send({
          type: 'eld',
          id: message.id,
          p50Ms: ms(delay.percentile(50)),
          p99Ms: ms(delay.percentile(99)),
          maxMs: ms(delay.max),
        });
        break;
      }
      case 'stop':
        close().then(
          () => {
            send({ type: 'ack', id: message.id });
            process.disconnect?.();
            process.exit(0);
          },
          (error: unknown) => {
            process.stderr.write(`bench target: error while stopping: ${(error as Error).message}\n`);
            process.exit(1);
          },
        );
        break;
    }
  });
  // An orphan never outlives the harness (Ctrl-C, a crash of the parent).
  process.on('disconnect', () => process.exit(0));
  send({ type: 'ready', url, pid: process.pid });
}
