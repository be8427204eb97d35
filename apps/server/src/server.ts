import { createServer, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  AccessTokens,
  Authenticator,
  demoAccountsAccepting,
  KeyRing,
  LoginLimiter,
  type LoginLimits,
  loadSecrets,
  OIDC_KEY_ALGORITHMS,
  PasswordHasher,
  seedDemoUsers,
  TokenService,
} from '@authlab/auth-core';
import { type Clock, systemClock } from '@authlab/store';
import type { Logger } from 'pino';
import { createApp } from './app.ts';
import { type Config, ConfigError, isLoopbackHost, PUBLISHED_DEMO_PASSWORD } from './config.ts';
import type { AppDeps } from './deps.ts';
import { createLogger } from './logging.ts';
import { openConfiguredStore } from './store-from-config.ts';

export interface StartOptions {
  config: Config;
  logger?: Logger;
  clock?: Clock;
  loginLimits?: LoginLimits;
  /** Where the login slow-down waits; tests pass a recorder. */
  sleep?: (ms: number) => Promise<void>;
  /** Key prefix in Redis (tests isolate runs with it). */
  redisKeyPrefix?: string;
  /** Listen on this host instead of `config.host` (tests pass 127.0.0.1). */
  host?: string;
  /**
   * How long a client may take to send its request line and headers before the connection is
   * answered 408 and closed (slowloris). Default 15 s; tests shorten it.
   */
  headersTimeoutMs?: number;
}

const DEFAULT_HEADERS_TIMEOUT_MS = 15_000;
const REQUEST_TIMEOUT_MS = 30_000;

export interface RunningServer {
  url: string;
  port: number;
  server: Server;
  deps: AppDeps;
  /** Demo accounts created at this start (empty when the store already had users). */
  seeded: string[];
  /** Stops accepting, lets in-flight requests finish, then closes the store. */
  close(): Promise<void>;
}

const CLIENT_ERRORS: Record<string, [number, string, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'Request Header Fields Too Large', 'headers_too_large'],
  HPE_HEADER_TIMEOUT: [408, 'Request Timeout', 'request_timeout'],
  // What Node's connection check raises when headersTimeout or requestTimeout has passed.
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Request Timeout', 'request_timeout'],
};

/**
 * Requests Node refuses before Koa sees them (oversized headers, malformed HTTP) still get a
 * JSON error and a closed connection, never a hang.
 */
function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const [status, reason, code] = CLIENT_ERRORS[error.code ?? ''] ?? [400, 'Bad Request', 'invalid_request'];
  const body = JSON.stringify({ error: code });
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/**
 * The composition root: reads nothing from the environment (the caller passes a validated
 * config), builds the store, keys, hasher and limiter once, and hands them to the app.
 */
export async function startServer(options: StartOptions): Promise<RunningServer> {
  const { config } = options;
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createLogger(config.logLevel);
  const secrets = loadSecrets(config.dataDir, { production: config.production });
  if (secrets.generated) logger.info({ dataDir: config.dataDir }, 'generated new secrets in a brand-new DATA_DIR');

  const { store } = openConfiguredStore(config, { clock, redisKeyPrefix: options.redisKeyPrefix });
  // The counters live in the store (SQLite file or Redis), so every instance shares them.
  const limiter = new LoginLimiter({
    counters: store.attempts,
    ...(options.loginLimits ? { limits: options.loginLimits } : {}),
    ...(options.sleep ? { sleep: options.sleep } : {}),
  });

  const hasher = await PasswordHasher.create(config.argon2);
  let seeded: string[] = [];
  if (config.seedDemo) {
    seeded = (await seedDemoUsers(store.users, hasher, config.demoPassword)).map((user) => user.email);
  }
  const host = options.host ?? config.host;
  if (!isLoopbackHost(host)) {
    const exposed = await demoAccountsAccepting(store.users, hasher, PUBLISHED_DEMO_PASSWORD);
    if (exposed.length > 0) {
      await Promise.all([store.close(), hasher.close()]);
      throw new ConfigError(
        `HOST=${host} is not a loopback address and ${exposed.join(', ')} still accept the password printed in the README: change it with \`pnpm users set-password\` (or listen on loopback)`,
      );
    }
  }

  const accessTtlMs = config.jwt.accessTokenTtlSec * 1000;
  const keyRing = KeyRing.open({
    file: secrets.jwtKeyRingFile,
    clock,
    // A retired key verifies until every token it signed has expired (plus clock tolerance).
    retireAfterMs: accessTtlMs + 60_000,
    rotationIntervalMs: config.jwt.keyRotationIntervalMs,
  });
  const accessTokens = new AccessTokens(
    keyRing,
    { issuer: config.publicUrl, audience: `${config.publicUrl}/api`, ttlSec: config.jwt.accessTokenTtlSec },
    clock,
  );
  const oidcKeyRing = KeyRing.open({
    file: secrets.oidcKeyRingFile,
    clock,
    // ID tokens live an hour: a retired provider key verifies that long, plus tolerance.
    retireAfterMs: 3_600_000 + 60_000,
    // A ring written before RS256 was added gets its RS256 keys here (the EdDSA ones stay).
    algorithms: OIDC_KEY_ALGORITHMS,
    rotationIntervalMs: config.jwt.keyRotationIntervalMs,
  });
  const deps: AppDeps = {
    config,
    store,
    oidcKeyRing,
    authenticator: new Authenticator({ users: store.users, hasher, limiter }),
    keyRing,
    tokens: new TokenService({
      users: store.users,
      refreshTokens: store.refreshTokens,
      credentialChecks: store.credentialChecks,
      accessTokens,
      clock,
      refreshIdleTtlMs: config.jwt.refreshIdleTtlMs,
      refreshAbsoluteTtlMs: config.jwt.refreshAbsoluteTtlMs,
      refreshReuseGraceMs: config.jwt.refreshReuseGraceMs,
    }),
    secrets,
    logger,
    clock,
  };
  const app = createApp(deps);
  const headersTimeout = options.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS;
  // Slow clients cannot hold a connection open forever (slowloris). Node enforces both timeouts
  // only when it sweeps its connections (every 30 s by default, which would let a slow client
  // linger up to 45 s), so the sweep runs at a tenth of the headers timeout.
  const server = createServer(
    {
      headersTimeout,
      requestTimeout: Math.max(REQUEST_TIMEOUT_MS, headersTimeout),
      connectionsCheckingInterval: Math.min(30_000, Math.max(50, Math.floor(headersTimeout / 10))),
    },
    app.callback(),
  );
  server.on('clientError', answerClientError);
  server.listen({ port: config.port, host });
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await store.close();
      await hasher.close();
    })();
    return closing;
  };
  return { url: `http://127.0.0.1:${port}`, port, server, deps, seeded, close };
}
