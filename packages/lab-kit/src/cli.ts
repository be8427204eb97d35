/**
 * `pnpm lab`: the guided labs from the terminal.
 *
 *   pnpm lab                       the labs, with your progress
 *   pnpm lab start <lab> [--poll]  goal and steps, your server, a re-check on every save
 *   pnpm lab check <lab>           the attacker and the functional checks against your copy
 *   pnpm lab hint <lab>            the next hint (nudge → concept → near-answer)
 *   pnpm lab solution <lab>        the reference fix as a diff, once you have solved the lab
 *   pnpm lab reset <lab>|--all     your copy back to the starter, the lab's progress cleared
 *   pnpm lab doctor [--workshop]   what this machine has and what to do about what it lacks
 *                                  (--workshop: pinned Node, ports, 127.0.0.2, key store, Electron's
 *                                  binary fetched, one sign-in per mode)
 *   pnpm lab board [--json]        each lab's state, start/solve times and hints used (a local page)
 *   pnpm lab verify [<lab>…]       for instructors and CI: every lab still teaches what it says
 *                  [--cheats]      only the wrong fixes in cheats/ (when writing one)
 *   pnpm lab compare               the three modes of the real server, measured side by side
 *
 * `--instructor` (or AUTHLAB_INSTRUCTOR=1) shows every hint and every solution.
 * Exit codes: 0 done (or solved), 1 not solved / a check failed, 2 usage error.
 *
 * This file is the usage, the options and the dispatch; `start` is in start.ts, the other
 * commands in commands.ts.
 */
import { board, check, doctorCommand, hint, list, out, resetAll, resetLab, solution, verify } from './commands.ts';
import { findLab, labsRoot, UsageError } from './labs.ts';
import { exitCleanlyOnSignals, removeStaleScratchDirs } from './scratch.ts';
import { start } from './start.ts';

function usage(): string {
  return `Usage: pnpm lab [list|start|check|hint|solution|reset|doctor|board|verify|compare] [<lab>] [--instructor]
  pnpm lab start 01       begin lab 01: read the goal, edit your copy, watch the checks turn green
  pnpm lab hint 01        one more hint
  pnpm lab doctor         is this laptop ready?`;
}

/** `--instructor`, or AUTHLAB_INSTRUCTOR=1: every hint at once, every solution unlocked. */
function instructorMode(args: string[]): boolean {
  const env = process.env.AUTHLAB_INSTRUCTOR;
  return args.includes('--instructor') || env === '1' || env === 'true';
}

/** The arguments that are not options: lab ids. */
const labArgs = (args: string[]) => args.filter((arg) => !arg.startsWith('--'));

function requireLabArg(args: string[]): string {
  const id = labArgs(args)[0];
  if (!id) throw new UsageError(`Which lab? For example: pnpm lab start 01\n\n${usage()}`);
  return id;
}

/** The options each command takes besides `--instructor` (compare reads its own). */
const OPTIONS: Record<string, string[]> = {
  list: [],
  start: ['--poll'],
  check: ['--solution'],
  hint: [],
  solution: [],
  reset: ['--all'],
  doctor: ['--workshop'],
  board: ['--json'],
  verify: ['--cheats'],
};

function refuseUnknownOptions(command: string, args: string[]): void {
  const known = OPTIONS[command];
  if (!known) return;
  const unknown = args.find((arg) => arg.startsWith('-') && arg !== '--instructor' && !known.includes(arg));
  if (unknown) {
    const takes = [...known, '--instructor'].join(', ');
    throw new UsageError(`pnpm lab ${command} does not know the option "${unknown}"; it takes ${takes}.\n\n${usage()}`);
  }
}

export async function main(argv: string[]): Promise<number> {
  const [command = 'list', ...args] = argv;
  refuseUnknownOptions(command, args);
  const instructor = instructorMode(args);
  switch (command) {
    case 'list':
      return list();
    case 'start':
      return start(findLab(requireLabArg(args)), {
        poll: args.includes('--poll') || process.env.AUTHLAB_LAB_POLL === '1',
      });
    case 'check':
      return check(findLab(requireLabArg(args)), { solution: args.includes('--solution'), instructor });
    case 'hint':
      return hint(findLab(requireLabArg(args)), { instructor });
    case 'solution':
      return solution(findLab(requireLabArg(args)), { instructor });
    case 'reset':
      return args.includes('--all') ? resetAll() : resetLab(findLab(requireLabArg(args)));
    case 'doctor':
      return doctorCommand({ workshop: args.includes('--workshop') });
    case 'board':
      return board({ json: args.includes('--json') });
    case 'verify':
      return verify(labArgs(args), { cheatsOnly: args.includes('--cheats') });
    case 'compare': {
      const module = await import('./compare/command.ts');
      return module.compareCommand(args);
    }
    case 'help':
    case '--help':
    case '-h':
      out(usage());
      return 0;
    default:
      throw new UsageError(`Unknown command "${command}".\n\n${usage()}`);
  }
}

if (import.meta.main) {
  process.chdir(process.env.INIT_CWD ?? process.cwd());
  // Snapshots and applied cheats left by a runner that was killed outright; ours go on exit.
  removeStaleScratchDirs(labsRoot());
  exitCleanlyOnSignals();
  main(process.argv.slice(2).filter((arg) => arg !== '--'))
    .then((code) => process.exit(code))
    .catch((error) => {
      if (error instanceof UsageError) {
        process.stderr.write(`${error.message}\n`);
        process.exit(2);
      }
      const detail = process.env.AUTHLAB_DEBUG ? (error as Error).stack : (error as Error).message;
      process.stderr.write(`pnpm lab: ${detail ?? error}\n`);
      process.exit(1);
    });
}
