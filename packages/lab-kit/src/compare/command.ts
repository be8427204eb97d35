/**
 * `pnpm lab compare [--quick] [--out <dir>]`: the three modes of the real server, measured side by
 * side. Prints the matrix and writes `latest.json` and `latest.html` (default: results/compare/,
 * untracked, so a `git pull` never conflicts with a run; a committed example is in docs/examples/).
 *
 * Exit codes: 0 every cell measured, 1 some cell could not be (it says why), 2 usage error.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { REPO_ROOT, UsageError } from '../labs.ts';
import { formatDetails, formatMatrix, renderHtml, toJson } from './report.ts';
import { runCompare, unmeasured } from './run.ts';
import { FULL, QUICK } from './types.ts';

export const DEFAULT_OUT_DIR = join(REPO_ROOT, 'results', 'compare');

const USAGE = `Usage: pnpm lab compare [--quick] [--out <dir>]
  --quick       fewer rounds and requests (about half the time)
  --out <dir>   where latest.json and latest.html go (default results/compare/, untracked)`;

export interface CompareArgs {
  quick: boolean;
  outDir: string;
}

export function parseCompareArgs(args: string[]): CompareArgs {
  let quick = false;
  let outDir = DEFAULT_OUT_DIR;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (arg === '--quick') quick = true;
    else if (arg === '--out') {
      const next = args[i + 1];
      if (!next || next.startsWith('--')) throw new UsageError(`--out needs a folder.\n\n${USAGE}`);
      outDir = resolve(next);
      i++;
    } else if (arg.startsWith('--out=')) outDir = resolve(arg.slice('--out='.length));
    else if (arg === '--instructor')
      continue; // accepted by every lab command; nothing to unlock here
    else throw new UsageError(`Unknown option "${arg}".\n\n${USAGE}`);
  }
  return { quick, outDir };
}

export async function compareCommand(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const { quick, outDir } = parseCompareArgs(args);
  const out = (text = '') => process.stdout.write(`${text}\n`);
  // Ctrl-C or SIGTERM: exit, and the exit hook of @authlab/testkit's server-process.ts kills the servers and
  // removes their folders.
  const interrupt = (signal: NodeJS.Signals) => process.exit(signal === 'SIGINT' ? 130 : 143);
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  try {
    const result = await runCompare({ params: quick ? QUICK : FULL, progress: out });
    mkdirSync(outDir, { recursive: true });
    const jsonPath = join(outDir, 'latest.json');
    const htmlPath = join(outDir, 'latest.html');
    writeFileSync(jsonPath, toJson(result));
    writeFileSync(htmlPath, renderHtml(result));
    out();
    out(formatMatrix(result));
    out();
    out(formatDetails(result));
    out();
    const shown = (path: string) => relative(process.cwd(), path) || path;
    out(`Wrote ${shown(jsonPath)} and ${shown(htmlPath)} (charts, and how each row was measured).`);
    const missing = unmeasured(result);
    if (missing.length > 0) {
      out(`\n${missing.length} cell(s) could not be measured:`);
      for (const line of missing) out(`  ${line}`);
      return 1;
    }
    return 0;
  } finally {
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
  }
}
