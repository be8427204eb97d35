import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { LoginLimits } from '@authlab/auth-core';
import { CookieJarClient, freePort } from '@authlab/testkit';
import { CONFIG_VARS, loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/logging.ts';
import { type RunningServer, startServer } from '../../src/server.ts';

export const DEMO_PASSWORD = 'correct-horse-battery-staple';

/**
 * The test runner's environment minus every variable the server reads (and Node's test-runner
 * and option variables), so a server spawned with it is hermetic.
 */
export function hermeticEnv(): Record<string, string> {
  const read = new Set([...CONFIG_VARS, 'NODE_TEST_CONTEXT', 'NODE_OPTIONS']);
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !read.has(name)) env[name] = value;
  }
  return env;
}

export { manualClock } from '@authlab/testkit';

export interface TestServerOptions {
  env?: Record<string, string>;
  clock?: (() => number) & { advance?: (ms: number) => void };
  loginLimits?: LoginLimits;
  sleep?: (ms: number) => Promise<void>;
  redisKeyPrefix?: string;
  /** Reuse a DATA_DIR (e.g. two instances sharing secrets). */
  dataDir?: string;
}

export interface TestServer extends RunningServer {
  /** Everything the server logged, as text (for redaction tests). */
  logs(): string;
  dataDir: string;
  /** Closes the server and removes its DATA_DIR (unless it was passed in). */
  stop(): Promise<void>;
}

/**
 * A real server on a free loopback port, its own DATA_DIR and SQLite file (or Redis via
 * `env.REDIS_URL`), logs captured in memory. `PUBLIC_URL` is `http://127.0.0.1:<port>`.
 */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const port = await freePort();
  const ownDir = !options.dataDir;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'authlab-test-'));
  const config = loadConfig({
    PORT: String(port),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    DATA_DIR: dataDir,
    LOG_LEVEL: 'info',
    ...options.env,
  });
  let logText = '';
  const sink = new Writable({
    write(chunk, _encoding, callback) {
      logText += chunk.toString();
      callback();
    },
  });
  const running = await startServer({
    config,
    logger: createLogger(config.logLevel, sink),
    host: '127.0.0.1',
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.loginLimits ? { loginLimits: options.loginLimits } : {}),
    ...(options.sleep ? { sleep: options.sleep } : {}),
    ...(options.redisKeyPrefix ? { redisKeyPrefix: options.redisKeyPrefix } : {}),
  });
  return {
    ...running,
    dataDir,
    logs: () => logText,
    stop: async () => {
      await running.close();
      if (ownDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The suites' HTTP client: the shared cookie jar (JSON answers included), plus the session sign-in. */
export class Client extends CookieJarClient {
  login(email = 'alice@example.com', password = DEMO_PASSWORD, headers: Record<string, string> = {}) {
    return this.json('/session/login', { method: 'POST', json: { email, password }, headers });
  }
}
