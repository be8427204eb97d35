import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePort, requireComponent, which } from '@authlab/testkit';
import { ConfigError, loadConfig } from '../src/config.ts';
import { createLogger } from '../src/logging.ts';
import { startServer } from '../src/server.ts';
import { Client, DEMO_PASSWORD, hermeticEnv } from './support/server.ts';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const mainTs = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const DEMO_EMAILS = ['alice@example.com', 'bob@example.com', 'admin@example.com', 'legacy@example.com'];
const STACK_FRAME = /^\s+at /m;

const newDataDir = () => mkdtempSync(join(tmpdir(), 'authlab-startup-'));

/** A new DATA_DIR, removed when this file's tests end. */
const tempDirs: string[] = [];
after(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});
const tempDir = () => {
  const dir = newDataDir();
  tempDirs.push(dir);
  return dir;
};

async function until(predicate: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

interface ServerProcess {
  child: ChildProcess;
  port: number;
  url: string;
  stdout(): string;
  stderr(): string;
  /** Set once the process has exited. */
  exit(): Exit | undefined;
  waitForExit(timeoutMs?: number): Promise<Exit>;
  waitForHealthy(): Promise<void>;
  waitForStdout(pattern: RegExp): Promise<void>;
}

/** Every process this file started and has not seen exit; killed at the end whatever happened. */
const running = new Set<ChildProcess>();
after(() => {
  for (const child of running) child.kill('SIGKILL');
});

/** Spawns a process (the server, by default) and records its output and exit. */
function spawnProcess(
  env: Record<string, string>,
  command = process.execPath,
  args = ['--disable-warning=ExperimentalWarning', mainTs],
): ServerProcess {
  const port = Number(env.PORT);
  const child = spawn(command, args, {
    cwd: repoRoot,
    env: { ...hermeticEnv(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  let exit: Exit | undefined;
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
  });
  // 'close' rather than 'exit': by then every byte of output has been read.
  running.add(child);
  child.on('close', (code, signal) => {
    exit = { code, signal };
    running.delete(child);
  });
  const failIfExited = () => {
    if (exit) assert.fail(`the server exited (${exit.code ?? exit.signal}) early\nstdout: ${out}\nstderr: ${err}`);
  };
  return {
    child,
    port,
    url: `http://127.0.0.1:${port}`,
    stdout: () => out,
    stderr: () => err,
    exit: () => exit,
    async waitForExit(timeoutMs = 15_000) {
      await until(() => exit !== undefined, 'the process to exit', timeoutMs);
      return exit as Exit;
    },
    async waitForHealthy() {
      const deadline = Date.now() + 15_000;
      for (;;) {
        failIfExited();
        try {
          const response = await fetch(`http://127.0.0.1:${port}/healthz`);
          if (response.status === 200) return;
        } catch {
          // not listening yet
        }
        if (Date.now() > deadline)
          assert.fail(`/healthz did not answer 200 within 15 s\nstdout: ${out}\nstderr: ${err}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    async waitForStdout(pattern: RegExp) {
      await until(() => {
        failIfExited();
        return pattern.test(out);
      }, `stdout to match ${pattern}`);
    },
  };
}

async function startServerProcess(env: Record<string, string>): Promise<ServerProcess> {
  const server = spawnProcess({ PORT: String(await freePort()), LOG_LEVEL: 'warn', ...env });
  await server.waitForHealthy();
  await server.waitForStdout(/^open .*healthz/m);
  return server;
}

async function stopGracefully(server: ServerProcess): Promise<void> {
  server.child.kill('SIGTERM');
  const exit = await server.waitForExit();
  assert.equal(exit.code, 0, `exit after SIGTERM\nstderr: ${server.stderr()}`);
}

/** Starts the server on a DATA_DIR and expects it to refuse: a non-zero exit and one line on stderr. */
async function expectRefusal(env: Record<string, string>): Promise<{ code: number; line: string }> {
  const server = spawnProcess({ PORT: String(await freePort()), LOG_LEVEL: 'warn', ...env });
  const exit = await server.waitForExit();
  assert.notEqual(exit.code, 0, `it started\nstdout: ${server.stdout()}`);
  assert.equal(exit.code !== null, true, `killed by ${exit.signal}`);
  const stderr = server.stderr();
  assert.equal(stderr.endsWith('\n'), true, stderr);
  assert.equal(stderr.trimEnd().includes('\n'), false, `more than one line on stderr:\n${stderr}`);
  assert.doesNotMatch(stderr, STACK_FRAME);
  assert.doesNotMatch(server.stdout(), /listening|alice@example\.com/);
  return { code: exit.code as number, line: stderr.trimEnd() };
}

/** Reads one HTTP/1.1 response (after any `100 Continue`) from a raw socket. */
function responseReader(socket: Socket) {
  let buffer = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    buffer = Buffer.concat([buffer, chunk]);
  });
  const text = () => buffer.toString('latin1');
  const finalResponse = () => {
    const all = text();
    const start = all.startsWith('HTTP/1.1 100') ? all.indexOf('\r\n\r\n') + 4 : 0;
    const headEnd = all.indexOf('\r\n\r\n', start);
    if (headEnd < 0) return null;
    const head = all.slice(start, headEnd);
    const length = Number(/^content-length:\s*(\d+)/im.exec(head)?.[1] ?? Number.NaN);
    const body = buffer.subarray(headEnd + 4);
    if (!(body.length >= length)) return null;
    return {
      status: Number(head.slice(9, 12)),
      head,
      body: JSON.parse(body.subarray(0, length).toString('utf8')),
    };
  };
  return {
    continued: () => text().startsWith('HTTP/1.1 100 Continue\r\n\r\n'),
    async response() {
      await until(() => finalResponse() !== null, 'a complete response');
      return finalResponse() as NonNullable<ReturnType<typeof finalResponse>>;
    },
  };
}

function connectionRefused(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

describe('starting the server from the command line', () => {
  it('prints where it listens and the four demo accounts, answers /healthz and writes 0600 secrets', async () => {
    const dataDir = tempDir();
    const server = await startServerProcess({ DATA_DIR: dataDir });
    const out = server.stdout();
    assert.match(out, new RegExp(`^authlab listening on http://localhost:${server.port} .*store sqlite`, 'm'));
    for (const email of DEMO_EMAILS) assert.match(out, new RegExp(`^\\s+${email.replace('.', '\\.')}$`, 'm'));
    assert.match(out, new RegExp(`password: ${DEMO_PASSWORD}`));

    const health = await new Client(server.url).json('/healthz');
    assert.equal(health.status, 200);
    assert.deepEqual(health.body, { status: 'ok', store: 'sqlite' });

    const keyFile = join(dataDir, 'secrets', 'session-keys');
    assert.equal(statSync(keyFile).mode & 0o777, 0o600);
    assert.equal(statSync(join(dataDir, 'secrets')).mode & 0o777, 0o700);
    await stopGracefully(server);
    assert.equal(server.stderr(), '');
  });

  it('refuses a bad PORT with exit code 2 and one line naming it', async () => {
    const { code, line } = await expectRefusal({ PORT: 'abc', DATA_DIR: tempDir() });
    assert.equal(code, 2);
    assert.match(line, /^authlab: PORT /);
  });

  it('generates no secrets and seeds nothing in production with an empty DATA_DIR', async () => {
    const dataDir = tempDir();
    const { line } = await expectRefusal({ NODE_ENV: 'production', DATA_DIR: dataDir });
    assert.match(line, /pnpm secrets init/);
    assert.deepEqual(readdirSync(dataDir), [], 'nothing was written to DATA_DIR');
  });

  it('`pnpm start` says the port is taken and exits 1, without a stack trace', async (t) => {
    const pnpm = which('pnpm');
    if (!requireComponent(t, pnpm !== null, 'pnpm', 'corepack enable pnpm')) return;
    // Listen the way the server does (all interfaces), so the server's bind collides with it.
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, resolve));
    t.after(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
    const address = blocker.address();
    const port = typeof address === 'object' && address ? address.port : 0;

    const run = spawnProcess({ PORT: String(port), DATA_DIR: tempDir(), LOG_LEVEL: 'warn' }, pnpm as string, ['start']);
    const exit = await run.waitForExit(30_000);
    assert.equal(exit.code, 1, `stdout: ${run.stdout()}\nstderr: ${run.stderr()}`);
    const stderr = run.stderr();
    assert.match(stderr, new RegExp(`^authlab: .*EADDRINUSE.*port ${port} is taken`, 'm'));
    assert.doesNotMatch(stderr, STACK_FRAME);
    assert.doesNotMatch(run.stdout(), /authlab listening/);
  });
});

describe('pnpm start', () => {
  it('runs the server through start.mjs with the compile cache on: the cache fills, the next start answers too', async () => {
    const scripts = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).scripts as Record<string, string>;
    assert.equal(scripts.start, 'node apps/server/start.mjs');
    // No NODE_COMPILE_CACHE (which alone would turn the cache on): start.mjs must, in the default
    // folder under the OS's temporary one.
    const tmp = tempDir();
    const cache = join(tmp, 'node-compile-cache');
    const dataDir = tempDir();
    for (const round of ['first', 'second']) {
      const env = { PORT: String(await freePort()), DATA_DIR: dataDir, LOG_LEVEL: 'warn', TMPDIR: tmp };
      // As `pnpm start` runs it, without pnpm in between (so SIGTERM reaches the server).
      const server = spawnProcess(env, process.execPath, [join(repoRoot, 'apps/server/start.mjs')]);
      await server.waitForHealthy();
      server.child.kill('SIGTERM');
      const exit = await server.waitForExit(30_000);
      assert.equal(exit.code, 0, `${round} start: ${server.stderr()}`);
      // Filled by the first start (written at exit), so the second reuses the stripped modules.
      assert.ok(existsSync(cache) && readdirSync(cache).length > 0, `${round} start left no compile cache`);
    }
  });
});

describe('the listening address (HOST)', () => {
  const OWN_PASSWORD = 'a-password-nobody-has-read-in-the-readme';
  const start = (env: Record<string, string>) =>
    startServer({ config: loadConfig({ PORT: '0', ...env }), logger: createLogger('silent') });

  /** The error start-up failed with; a server that started anyway is closed and the test fails. */
  const refusedToStart = async (env: Record<string, string>): Promise<unknown> => {
    let running: Awaited<ReturnType<typeof start>>;
    try {
      running = await start(env);
    } catch (error) {
      return error;
    }
    await running.close();
    assert.fail(`it started with ${JSON.stringify(env)}`);
  };

  it('listens on 127.0.0.1 only when HOST is not set', async () => {
    const running = await start({ DATA_DIR: tempDir() });
    try {
      const address = running.server.address();
      assert.ok(typeof address === 'object' && address);
      assert.equal(address.address, '127.0.0.1');
    } finally {
      await running.close();
    }
  });

  it('listens on every interface with HOST=0.0.0.0 once DEMO_PASSWORD is changed', async () => {
    const running = await start({ DATA_DIR: tempDir(), HOST: '0.0.0.0', DEMO_PASSWORD: OWN_PASSWORD });
    try {
      const address = running.server.address();
      assert.ok(typeof address === 'object' && address);
      assert.equal(address.address, '0.0.0.0');
      assert.equal((await new Client(running.url).login('alice@example.com', OWN_PASSWORD)).status, 200);
    } finally {
      await running.close();
    }
  });

  it('`pnpm start` with HOST=0.0.0.0 and the published demo password exits 2 naming HOST and DEMO_PASSWORD', async () => {
    const { code, line } = await expectRefusal({ HOST: '0.0.0.0', DATA_DIR: tempDir() });
    assert.equal(code, 2);
    assert.match(line, /^authlab: HOST=0\.0\.0\.0 .*DEMO_PASSWORD/);
  });

  it('refuses HOST=0.0.0.0 while demo accounts seeded earlier still accept the published password', async () => {
    const dataDir = tempDir();
    await (await start({ DATA_DIR: dataDir })).close(); // seeded with the README's password
    const changedSince: Array<Record<string, string>> = [{ DEMO_PASSWORD: OWN_PASSWORD }, { SEED_DEMO: 'false' }];
    for (const env of changedSince) {
      const error = await refusedToStart({ DATA_DIR: dataDir, HOST: '0.0.0.0', ...env });
      assert.ok(error instanceof ConfigError, String(error));
      assert.match(error.message, /^HOST=0\.0\.0\.0 .*alice@example\.com.*legacy@example\.com/);
    }
    // Still fine on loopback.
    await (await start({ DATA_DIR: dataDir })).close();
  });
});

describe('restarting on a DATA_DIR that has data', () => {
  let dataDir: string;
  let cookie: string;
  const clones: string[] = [];
  /** A copy of the populated DATA_DIR, so each test breaks its own. */
  const cloneDataDir = () => {
    const dir = newDataDir();
    cpSync(dataDir, dir, { recursive: true });
    clones.push(dir);
    return dir;
  };

  before(async () => {
    dataDir = newDataDir();
    const server = await startServerProcess({ DATA_DIR: dataDir });
    const alice = new Client(server.url);
    assert.equal((await alice.login()).status, 200);
    cookie = alice.cookieHeader();
    await stopGracefully(server);
  });

  after(() => {
    for (const dir of [dataDir, ...clones]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('seeds nothing new and keeps the sessions (sessions survive a restart on SQLite)', async () => {
    const server = await startServerProcess({ DATA_DIR: dataDir });
    for (const email of DEMO_EMAILS) assert.doesNotMatch(server.stdout(), new RegExp(email.replace('.', '\\.')));
    assert.match(server.stdout(), /demo accounts already present/);
    const me = await new Client(server.url).json('/session/me', { headers: { cookie } });
    assert.equal(me.status, 200);
    assert.equal(me.body.user.email, 'alice@example.com');
    await stopGracefully(server);
  });

  it('stops with a one-line message naming the session key file when it is missing', async () => {
    const dir = cloneDataDir();
    const keyFile = join(dir, 'secrets', 'session-keys');
    unlinkSync(keyFile);
    const { code, line } = await expectRefusal({ DATA_DIR: dir });
    assert.equal(code, 1);
    assert.match(line, /^authlab: /);
    assert.ok(line.includes(keyFile), line);
    assert.equal(existsSync(keyFile), false, 'no new key was minted');
  });

  it('stops with a one-line message naming the session key file when it is corrupt', async () => {
    const dir = cloneDataDir();
    const keyFile = join(dir, 'secrets', 'session-keys');
    writeFileSync(keyFile, 'not a key!\n');
    const { code, line } = await expectRefusal({ DATA_DIR: dir });
    assert.equal(code, 1);
    assert.ok(line.includes(keyFile), line);
    assert.match(line, /corrupt/);
  });
});

describe('graceful shutdown on SIGTERM', () => {
  let dataDir: string;
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('finishes an in-flight login, refuses new connections, then exits 0', async (t) => {
    dataDir = newDataDir();
    const server = await startServerProcess({ DATA_DIR: dataDir, LOG_LEVEL: 'info' });

    // A keep-alive connection with a login in progress: `Expect: 100-continue` makes the server
    // answer once it has parsed the headers, so the request is provably in flight (not merely
    // queued in the kernel) before the signal is sent; the body follows after shutdown began.
    const socket = connect(server.port, '127.0.0.1');
    t.after(() => {
      socket.destroy();
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const reader = responseReader(socket);
    const body = JSON.stringify({ email: 'alice@example.com', password: DEMO_PASSWORD });
    socket.write(
      [
        'POST /session/login HTTP/1.1',
        `Host: 127.0.0.1:${server.port}`,
        'Connection: keep-alive',
        'Content-Type: application/json',
        `Content-Length: ${Buffer.byteLength(body)}`,
        'Expect: 100-continue',
        '',
        '',
      ].join('\r\n'),
    );
    await until(reader.continued, '100 Continue');

    server.child.kill('SIGTERM');
    // The shutdown handler logs this line and stops listening in the same tick.
    await server.waitForStdout(/shutting down: finishing in-flight requests/);
    assert.equal(await connectionRefused(server.port), 'ECONNREFUSED');
    assert.equal(server.exit(), undefined, 'the server waits for the request in flight');

    socket.write(body);
    const response = await reader.response();
    assert.equal(response.status, 200, response.head);
    assert.equal(response.body.user.email, 'alice@example.com');
    assert.match(response.head, /^set-cookie: __Host-authlab\.sid=/im);
    socket.end();

    const exit = await server.waitForExit();
    assert.equal(exit.code, 0, `stderr: ${server.stderr()}`);
    assert.match(server.stdout(), /"msg":"stopped"/);
    assert.doesNotMatch(server.stdout(), /did not finish within/);
  });
});
