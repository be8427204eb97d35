/**
 * `pnpm secrets <command>`: the secrets of a DATA_DIR, for deployments where the server must
 * never mint them by itself (NODE_ENV=production).
 *
 *   pnpm secrets init    generate them in DATA_DIR (refuses to overwrite)
 *   pnpm secrets check   validate them the way the server does at start
 */
import { join } from 'node:path';
import { DataDirError, loadSecrets, writeNewSecrets } from '@authlab/auth-core';
import { ConfigError, loadConfig } from '../config.ts';
import { CliError, parseCommandLine } from './cli-kit.ts';

const USAGE = `usage: pnpm secrets <command>

commands:
  init    generate the secrets in DATA_DIR (also with NODE_ENV=production; never overwrites)
  check   validate the secrets in DATA_DIR, as the server does at start

environment: the server's own (DATA_DIR, default .data)
`;

function fail(message: string, usage = false): number {
  process.stderr.write(`pnpm secrets: ${message}\n${usage ? `\n${USAGE}` : ''}`);
  return 1;
}

function run(argv: string[]): number {
  const parsed = parseCommandLine(argv, { help: { type: 'boolean', short: 'h' } });
  if (parsed.values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const [command, ...extra] = parsed.positionals;
  if (!command) return fail('missing command', true);
  if (command !== 'init' && command !== 'check') return fail(`unknown command "${command}"`, true);
  if (extra.length > 0) return fail(`${command} takes no arguments (got "${extra.join(' ')}")`, true);

  const { dataDir } = loadConfig(process.env);
  const dir = join(dataDir, 'secrets');
  if (command === 'init') {
    // This command is the explicit opt-in that NODE_ENV=production asks for before any secret exists.
    writeNewSecrets(dataDir);
    process.stdout.write(
      `created ${dir}\nevery instance that serves the same PUBLIC_URL must use these same secrets: copy this directory to each one (or share DATA_DIR), and keep it out of version control\n`,
    );
    return 0;
  }
  // As production does: validate only, never generate (a check that wrote files would hide a gap).
  const secrets = loadSecrets(dataDir, { production: true });
  process.stdout.write(`ok: ${dir} holds ${secrets.sessionKeys.length} valid session key(s)\n`);
  return 0;
}

try {
  process.exitCode = run(process.argv.slice(2));
} catch (error) {
  if (error instanceof CliError) {
    process.exitCode = fail(error.message, error.usage);
  } else if (error instanceof ConfigError || error instanceof DataDirError) {
    process.exitCode = fail(error.message);
  } else {
    throw error;
  }
}
