/**
 * `pnpm start`: validate the environment, start the server, print how to sign in, and shut down
 * gracefully on SIGTERM/SIGINT (stop accepting, finish in-flight requests, close the store).
 */
import { ConfigError, loadConfig } from './config.ts';
import { createLogger } from './logging.ts';
import { startServer } from './server.ts';

async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`authlab: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  let running: Awaited<ReturnType<typeof startServer>>;
  try {
    running = await startServer({ config, logger });
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (error instanceof ConfigError) {
      process.stderr.write(`authlab: ${error.message}\n`);
      process.exit(2);
    }
    if (code === 'data_dir' || code === 'store_unavailable' || code === 'EADDRINUSE') {
      const hint = code === 'EADDRINUSE' ? ` (port ${config.port} is taken: set PORT to another one)` : '';
      process.stderr.write(`authlab: ${(error as Error).message}${hint}\n`);
      process.exit(1);
    }
    throw error;
  }
  const store = running.deps.store.kind;
  const lines = [
    `authlab listening on ${config.publicUrl} (port ${running.port}, store ${store}${store === 'sqlite' ? ` in ${config.dataDir}` : ''})`,
  ];
  if (running.seeded.length > 0) {
    lines.push(`demo accounts (password: ${config.production ? '<DEMO_PASSWORD>' : config.demoPassword}):`);
    for (const email of running.seeded) lines.push(`  ${email}`);
  } else if (config.seedDemo) {
    lines.push('demo accounts already present (password from DEMO_PASSWORD)');
  }
  lines.push(`open ${config.publicUrl}/ in a browser; health: ${config.publicUrl}/healthz`);
  process.stdout.write(`${lines.join('\n')}\n`);

  const shutdown = (signal: string) => {
    logger.info({ signal }, 'shutting down: finishing in-flight requests');
    const force = setTimeout(() => {
      logger.error('in-flight requests did not finish within 10 s; exiting');
      process.exit(1);
    }, 10_000);
    force.unref();
    running.close().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

await main();
