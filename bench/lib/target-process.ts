import { type ChildProcess, spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchReply, BenchRequest } from '../child/ipc.ts';

const SHIM = new URL('../child/with-compile-cache.mjs', import.meta.url).pathname;
/** The children's compile cache: the bench's own, so it never depends on what else ran before. */
const COMPILE_CACHE = join(tmpdir(), `authlab-bench-compile-cache-${process.getuid?.() ?? 'user'}`);

/**
 * Starts authlab's server once and stops it, filling the compile cache as a `pnpm start` after
 * the first finds it, so the first server measured loads no TypeScript stripper either.
 */
export async function warmCompileCache(): Promise<void> {
  const server = await TargetProcess.start({ script: 'authlab.ts', label: 'compile-cache' });
  await server.stop();
}

export interface TargetProcessOptions {
  /** The child script, relative to bench/child. */
  script: string;
  env?: Record<string, string>;
  /** Write a V8 CPU profile of the server into this folder when it stops (`--cpu-prof`). */
  cpuProfileDir?: string;
  /** Shown in the profile's file name. */
  label: string;
}

type Pending = (reply: BenchReply) => void;

/**
 * One bench target in its own Node process, so the load generator (autocannon, in the harness)
 * never shares the server's event loop. The child announces its URL over IPC; the harness then
 * asks it for RSS and event-loop delay the same way.
 */
export class TargetProcess {
  readonly url: string;
  readonly pid: number;
  readonly #child: ChildProcess;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;

  private constructor(child: ChildProcess, url: string, pid: number) {
    this.#child = child;
    this.url = url;
    this.pid = pid;
    child.on('message', (reply: BenchReply) => {
      if (reply.type === 'ready') return;
      const resolve = this.#pending.get(reply.id);
      this.#pending.delete(reply.id);
      resolve?.(reply);
    });
  }

  static async start(options: TargetProcessOptions): Promise<TargetProcess> {
    const profile = options.cpuProfileDir
      ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`, `--cpu-prof-name=${options.label}.cpuprofile`]
      : [];
    const child = spawn(
      process.execPath,
      [
        '--disable-warning=ExperimentalWarning',
        ...profile,
        SHIM,
        new URL(`../child/${options.script}`, import.meta.url).pathname,
      ],
      {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        env: { ...process.env, NODE_COMPILE_CACHE: COMPILE_CACHE, ...options.env },
      },
    );
    const ready = await new Promise<BenchReply & { type: 'ready' }>((resolve, reject) => {
      const onExit = (code: number | null) =>
        reject(new Error(`${options.script} exited (${code}) before it listened`));
      child.once('exit', onExit);
      child.once('error', reject);
      child.on('message', (message: BenchReply) => {
        if (message.type !== 'ready') return;
        child.off('exit', onExit);
        resolve(message);
      });
    });
    return new TargetProcess(child, ready.url, ready.pid);
  }

  #ask(type: BenchRequest['type']): Promise<BenchReply> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, resolve);
      this.#child.send({ type, id } as BenchRequest, (error) => {
        if (error) reject(error);
      });
    });
  }

  async rssMb(): Promise<number> {
    const reply = await this.#ask('rss');
    if (reply.type !== 'rss') throw new Error(`unexpected reply ${reply.type}`);
    return reply.rssBytes / 1024 / 1024;
  }

  /** CPU time the server has used so far (user + system), in ms. */
  async cpuMs(): Promise<number> {
    const reply = await this.#ask('cpu');
    if (reply.type !== 'cpu') throw new Error(`unexpected reply ${reply.type}`);
    return (reply.userMicros + reply.systemMicros) / 1000;
  }

  async startDelayMonitor(): Promise<void> {
    await this.#ask('eld-start');
  }

  async stopDelayMonitor(): Promise<{ p50Ms: number; p99Ms: number; maxMs: number }> {
    const reply = await this.#ask('eld-stop');
    if (reply.type !== 'eld') throw new Error(`unexpected reply ${reply.type}`);
    return { p50Ms: reply.p50Ms, p99Ms: reply.p99Ms, maxMs: reply.maxMs };
  }

  /** Samples RSS every `everyMs` until the returned function is called; it resolves to the peak. */
  sampleRss(everyMs = 250): () => Promise<number> {
    let peak = 0;
    let sampling = Promise.resolve();
    const timer = setInterval(() => {
      sampling = sampling.then(async () => {
        peak = Math.max(peak, await this.rssMb());
      });
    }, everyMs);
    return async () => {
      clearInterval(timer);
      await sampling;
      peak = Math.max(peak, await this.rssMb());
      return peak;
    };
  }

  /** Asks the server to close gracefully (a CPU profile is written on exit), then waits for it. */
  async stop(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.#child.once('exit', () => resolve()));
    const timeout = setTimeout(() => this.#child.kill('SIGKILL'), 15_000);
    this.#ask('stop').catch(() => {});
    await exited;
    clearTimeout(timeout);
  }
}
