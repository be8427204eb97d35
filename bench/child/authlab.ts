/**
 * A bench target: the real authlab server (`startServer`, the composition root `pnpm start`
 * uses) on a free loopback port, its own DATA_DIR, SQLite or — with `BENCH_REDIS_URL` — Redis.
 *
 *   node bench/child/authlab.ts        (spawned by bench/run.ts, which talks to it over IPC)
 *
 * Differences from `pnpm start`, all so the numbers measure the auth path and nothing else:
 * request log lines are off (LOG_LEVEL=warn; the request-log middleware still runs), and the
 * login limits are raised so a login burst from one IP is never refused.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../apps/server/src/config.ts';
import { startServer } from '../../apps/server/src/server.ts';
import { OPEN_LOGIN_LIMITS } from '../../packages/auth-core/src/index.ts';
import { freePort } from '../../packages/testkit/src/index.ts';
import { serveBenchIpc } from './ipc.ts';

const port = await freePort();
const dataDir = mkdtempSync(join(tmpdir(), 'authlab-bench-'));
const redisUrl = process.env.BENCH_REDIS_URL;
const config = loadConfig({
  PORT: String(port),
  PUBLIC_URL: `http://127.0.0.1:${port}`,
  DATA_DIR: dataDir,
  LOG_LEVEL: 'warn',
  ...(redisUrl ? { REDIS_URL: redisUrl } : {}),
});
const running = await startServer({
  config,
  host: '127.0.0.1',
  loginLimits: OPEN_LOGIN_LIMITS,
  ...(redisUrl ? { redisKeyPrefix: `authlab-bench:${process.pid}:` } : {}),
});

serveBenchIpc(running.url, async () => {
  await running.close();
  rmSync(dataDir, { recursive: true, force: true });
});
