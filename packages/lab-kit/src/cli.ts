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
 *   pnpm lab board --class         for instructors: a board on the LAN that participants' runners
 *                  [--host <addr>] [--port <n>]   report to (prints a join and an instructor code)
 *   pnpm lab join <host:port> <code> --name <name>   report your progress to the class board
 *   pnpm lab leave                 stop reporting
 *   pnpm lab verify [<lab>…]       for instructors and CI: every lab still teaches what it says
 *                  [--cheats]      only the wrong fixes in cheats/ (when writing one)
 *   pnpm lab compare               the three modes of the real server, measured side by side
 *
 * `--instructor` (or AUTHLAB_INSTRUCTOR=1) shows every hint and every solution, once the
 * instructor code (AUTHLAB_INSTRUCTOR_CODE, or typed at the prompt; never an argument, as `ps`
 * shows arguments) is checked: by the class board when joined, else on this laptop
 * (instructor-gate.ts).
 * Exit codes: 0 done (or solved), 1 not solved / a check failed / refused, 2 usage error.
 *
 * This file is the usage, the options and the dispatch; `start` is in start.ts, the other
 * commands in commands.ts.
 */
import { classBoardCommand, DEFAULT_CLASS_PORT, joinCommand, leaveCommand } from './class/class-commands.ts';
import { board, check, doctorCommand, hint, list, out, resetAll, resetLab, solution, verify } from './commands.ts';
import { unlockInstructor } from './instructor-gate.ts';
import { findLab, type Lab, labsRoot, UsageError } from './labs.ts';
import { promptHidden } from './prompt.ts';
import { exitCleanlyOnSignals, removeStaleScratchDirs } from './scratch.ts';
import { start } from './start.ts';

function usage(): string {
  return `Usage: pnpm lab [list|start|check|hint|solution|reset|doctor|board|join|leave|verify|compare] [<lab>] [--instructor]
  pnpm lab start 01       begin lab 01: read the goal, edit your copy, watch the checks turn green
  pnpm lab hint 01        one more hint
  pnpm lab doctor         is this laptop ready?`;
}

/** `--instructor`, or AUTHLAB_INSTRUCTOR=1: every hint at once, every solution unlocked. */
function instructorMode(args: string[]): boolean {
  const env = process.env.AUTHLAB_INSTRUCTOR;
  return args.includes('--instructor') || env === '1' || env === 'true';
}

/** Instructor mode was refused (the reason is on stderr): the command shows nothing and exits 1. */
class InstructorRefused extends Error {}

/**
 * Whether instructor mode is asked for and the instructor code checks out for `lab`. A refusal
 * is written to stderr; the caller shows nothing and exits 1.
 */
async function instructorUnlocked(args: string[], lab: Lab): Promise<boolean> {
  if (!instructorMode(args)) return false;
  const code = process.env.AUTHLAB_INSTRUCTOR_CODE || (await promptHidden('Instructor code (not shown as you type): '));
  if (code === null) {
    process.stderr.write(
      'Instructor mode needs the instructor code: set AUTHLAB_INSTRUCTOR_CODE, or run this in a terminal to be asked for it.\n',
    );
    throw new InstructorRefused();
  }
  const unlock = await unlockInstructor(code, lab.id);
  if (!unlock.unlocked) {
    process.stderr.write(`Instructor mode refused: ${unlock.reason}\n`);
    throw new InstructorRefused();
  }
  process.stderr.write(`(instructor mode: code checked by ${unlock.by})\n`);
  return true;
}

/** Options followed by a value (`--port 4700`). */
const VALUE_OPTIONS = ['--host', '--port', '--name'];

/** The arguments that are neither options nor their values: lab ids, or join's address and code. */
const labArgs = (args: string[]) =>
  args.filter((arg, index) => !arg.startsWith('--') && !VALUE_OPTIONS.includes(args[index - 1] ?? ''));

function optionValue(args: string[], option: string): string | undefined {
  const index = args.indexOf(option);
  if (index === -1) return undefined;
  const value = args[index + 1];
  if (value === undefined || value.startsWith('--')) throw new UsageError(`${option} needs a value.\n\n${usage()}`);
  return value;
}

function portOption(args: string[]): number {
  const text = optionValue(args, '--port');
  if (text === undefined) return DEFAULT_CLASS_PORT;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port ${text} is not a port number.`);
  return port;
}

/** `pnpm lab board …`: this machine's board, or with --class the class board. */
function boardCommand(args: string[]): Promise<number> {
  if (args.includes('--instructor')) {
    throw new UsageError(
      'The instructor view is part of the class board: run pnpm lab board --class and open its page with the instructor code it prints (or AUTHLAB_INSTRUCTOR_CODE).',
    );
  }
  if (!args.includes('--class')) {
    if (args.includes('--host') || args.includes('--port')) throw new UsageError('--host and --port go with --class.');
    return board({ json: args.includes('--json') });
  }
  if (args.includes('--json'))
    throw new UsageError('--json is this machine’s board; the class board serves /board.json.');
  return classBoardCommand({
    host: optionValue(args, '--host') ?? '0.0.0.0',
    port: portOption(args),
    instructorCode: process.env.AUTHLAB_INSTRUCTOR_CODE || undefined,
  });
}

function joinArgs(args: string[]): [string, string, string] {
  const [address, code] = labArgs(args);
  const name = optionValue(args, '--name');
  if (!address || !code || !name) {
    throw new UsageError(
      'Usage: pnpm lab join <host:port> <join code> --name <your name>  (the instructor shows both)',
    );
  }
  return [address, code, name];
}

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
  board: ['--json', '--class', '--host', '--port'],
  join: ['--name'],
  leave: [],
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
  try {
    return await dispatch(command, args);
  } catch (error) {
    if (error instanceof InstructorRefused) return 1;
    throw error;
  }
}

async function dispatch(command: string, args: string[]): Promise<number> {
  switch (command) {
    case 'list':
      return list();
    case 'start':
      return start(findLab(requireLabArg(args)), {
        poll: args.includes('--poll') || process.env.AUTHLAB_LAB_POLL === '1',
      });
    case 'check': {
      // Instructor mode only unlocks something here with --solution (the reference fix's checks).
      const lab = findLab(requireLabArg(args));
      const useSolution = args.includes('--solution');
      return check(lab, { solution: useSolution, instructor: useSolution && (await instructorUnlocked(args, lab)) });
    }
    case 'hint': {
      const lab = findLab(requireLabArg(args));
      return hint(lab, { instructor: await instructorUnlocked(args, lab) });
    }
    case 'solution': {
      const lab = findLab(requireLabArg(args));
      return solution(lab, { instructor: await instructorUnlocked(args, lab) });
    }
    case 'reset':
      return args.includes('--all') ? resetAll() : resetLab(findLab(requireLabArg(args)));
    case 'doctor':
      return doctorCommand({ workshop: args.includes('--workshop') });
    case 'board':
      return boardCommand(args);
    case 'join':
      return joinCommand(...joinArgs(args));
    case 'leave':
      return leaveCommand();
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
