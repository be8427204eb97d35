import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { which } from './components.ts';

export interface RedisServer {
  url: string;
  port: number;
  /** Stops the server (SIGTERM) and waits for it to exit; data in memory is gone unless AOF is on. */
  stop(): Promise<void>;
  /** Starts it again on the same port and directory. */
  restart(): Promise<void>;
  /**
   * Freezes the process (SIGSTOP): connections stay open and commands queue unanswered, as in a
   * Redis stalled by a fork, a swap storm or a slow disk. `resume()` (SIGCONT) runs them.
   */
  pause(): void;
  resume(): void;
}

const dataDirs = new Set<string>();
process.once('exit', () => {
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
});

export function redisServerBinary(): string | null {
  return process.env.REDIS_SERVER_BIN ?? which('redis-server');
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function waitForPort(port: number, child: ChildProcess, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      if (child.exitCode !== null) {
        reject(new Error(`redis-server exited with code ${child.exitCode}`));
        return;
      }
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.end();
        resolve();
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error(`redis-server did not listen on ${port}`));
        else setTimeout(attempt, 25);
      });
    };
    attempt();
  });
}

/**
 * Starts a private `redis-server` (`binary`, else the one found) on a free loopback port (no
 * persistence unless `appendOnly`), for one test file. Call `stop()` in `after`.
 */
export async function startRedisServer(
  options: { appendOnly?: boolean; binary?: string | null } = {},
): Promise<RedisServer> {
  const binary = options.binary === undefined ? redisServerBinary() : options.binary;
  if (!binary) throw new Error('redis-server not found: apt-get install redis-server');
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'authlab-redis-'));
  // Kept across stop()/restart() (AOF tests need it); removed when the test process exits.
  dataDirs.add(dir);
  let child: ChildProcess;

  const launch = async () => {
    child = spawn(
      binary,
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        '--save',
        '',
        '--appendonly',
        options.appendOnly ? 'yes' : 'no',
        '--protected-mode',
        'yes',
      ],
      { stdio: 'ignore' },
    );
    // A binary that cannot be run at all (ENOENT, EACCES) reports that instead of an exit.
    const unstartable = new Promise<never>((_, reject) => child.once('error', reject));
    unstartable.catch(() => {}); // once started, an error is the exit's to tell
    await Promise.race([waitForPort(port, child), unstartable]);
  };

  const stopChild = () =>
    new Promise<void>((resolve) => {
      if (!child || child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
      child.kill('SIGCONT'); // a paused server gets the SIGTERM only once it runs again
    });

  await launch();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop: async () => {
      await stopChild();
    },
    restart: async () => {
      await stopChild();
      await launch();
    },
    pause: () => {
      child.kill('SIGSTOP');
    },
    resume: () => {
      child.kill('SIGCONT');
    },
  };
}
