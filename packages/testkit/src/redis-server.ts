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

/** The first line Redis answers to PING on 127.0.0.1:`port`; rejects when it cannot connect. */
function pingOnce(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.setEncoding('utf8');
    socket.setTimeout(2_000, () => socket.destroy(new Error('no answer to PING')));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk: string) => {
      answer += chunk;
      if (answer.includes('\r\n')) socket.end();
    });
    socket.once('close', () => resolve(answer.split('\r\n')[0] ?? ''));
    socket.once('error', (error) => {
      socket.destroy();
      reject(error);
    });
  });
}

/**
 * Resolves once the server answers PING with +PONG: accepting connections is not enough, since
 * Redis answers -LOADING while it reads an append-only file back. Any other answer is an error.
 */
async function waitForPong(port: number, child: ChildProcess, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode}`);
    const answer = await pingOnce(port).catch(() => null);
    if (answer === '+PONG') return;
    if (answer !== null && answer !== '' && !answer.startsWith('-LOADING')) {
      throw new Error(`redis-server answered PING with "${answer.slice(0, 80)}"`);
    }
    if (Date.now() > deadline) throw new Error(`redis-server did not answer PING on ${port}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
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
    try {
      await Promise.race([waitForPong(port, child), unstartable]);
    } catch (error) {
      await stopChild(); // one that runs but never answers PING must not outlive the failed start
      throw error;
    }
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
