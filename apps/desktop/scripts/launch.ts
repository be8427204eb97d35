/**
 * `pnpm desktop`: finds Electron's binary (downloading it once where it is missing and the
 * network allows), builds the app and runs it. Without a binary it exits 1 with one sentence
 * saying how to get one, and no stack trace.
 *
 *   pnpm desktop                          the app, against http://localhost:4000
 *   pnpm desktop --server=https://…       another server (or AUTHLAB_SERVER)
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { buildDesktop } from './build.ts';
import { electronForScript } from './electron-binary.ts';

async function main(): Promise<number> {
  const electron = await electronForScript();
  if (!electron) return 1;
  const outDir = await buildDesktop();
  const env = { ...process.env };
  // Set by some terminals (VS Code's): it would make Electron run as plain Node.
  delete env.ELECTRON_RUN_AS_NODE;
  const child = spawn(electron.executable, [join(outDir, 'main', 'main.cjs'), ...process.argv.slice(2)], {
    stdio: 'inherit',
    env,
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
  return new Promise((resolve) => {
    child.once('error', (error) => {
      process.stderr.write(`could not start Electron (${electron.executable}): ${error.message}\n`);
      resolve(1);
    });
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`pnpm desktop failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
