/** The small pieces every `pnpm <command>` of the server shares. */
import { type ParseArgsOptionsConfig, parseArgs } from 'node:util';

/** A mistake in how the command was called or what it names; `usage` adds the usage text. */
export class CliError extends Error {
  readonly code = 'cli';
  readonly usage: boolean;
  constructor(message: string, options: { usage?: boolean } = {}) {
    super(message);
    this.name = 'CliError';
    this.usage = options.usage ?? false;
  }
}

/** Columns padded to their widest cell, two spaces apart; the first row is the header. */
export function printTable(rows: string[][]): void {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => row[column]?.length ?? 0))) ?? [];
  const lines = rows.map((row) =>
    row
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd(),
  );
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** `parseArgs` with positionals; an unknown or malformed option is a usage error, not a stack trace. */
export function parseCommandLine<T extends ParseArgsOptionsConfig>(argv: string[], options: T) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true });
  } catch (error) {
    throw new CliError((error as Error).message, { usage: true });
  }
}
