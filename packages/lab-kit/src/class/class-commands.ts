/**
 * `pnpm lab board --class`, `pnpm lab join` and `pnpm lab leave`: the class mode's commands.
 * Nothing listens beyond this machine unless the instructor passes `--class`.
 */
import { networkInterfaces } from 'node:os';
import { rememberInstructorCode } from '../instructor-gate.ts';
import { listLabs } from '../labs.ts';
import { serveClassBoard } from './class-server.ts';
import { newInstructorCode, newJoinCode, normaliseCode } from './codes.ts';
import { joinClass, leaveClass, reportToClass } from './participant.ts';

const out = (text = '') => process.stdout.write(`${text}\n`);

/** The port a class board takes unless told otherwise: one participants can type. */
export const DEFAULT_CLASS_PORT = 4700;

/** This machine's addresses participants can reach (non-internal IPv4, then IPv6). */
function lanAddresses(): string[] {
  const all = Object.values(networkInterfaces()).flatMap((list) => list ?? []);
  const external = all.filter((entry) => !entry.internal);
  return [...external.filter((e) => e.family === 'IPv4'), ...external.filter((e) => e.family === 'IPv6')].map((e) =>
    e.family === 'IPv6' ? `[${e.address}]` : e.address,
  );
}

export interface ClassBoardCommandOptions {
  host: string;
  port: number;
  /** AUTHLAB_INSTRUCTOR_CODE, when the instructor chose one (e.g. to keep it across restarts). */
  instructorCode?: string;
}

/** `pnpm lab board --class`: serves the class board until Ctrl-C. */
export async function classBoardCommand(options: ClassBoardCommandOptions): Promise<number> {
  if (options.instructorCode !== undefined && normaliseCode(options.instructorCode).length < 16) {
    out('AUTHLAB_INSTRUCTOR_CODE must have at least 16 letters or digits.');
    return 2;
  }
  const joinCode = newJoinCode();
  const instructorCode = options.instructorCode ?? newInstructorCode();
  const labs = listLabs().map((lab) => ({ id: lab.id, title: lab.title, hintTiers: lab.hints.length }));
  const running = await serveClassBoard({
    host: options.host,
    port: options.port,
    joinCode,
    instructorCode,
    labs,
  }).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EADDRINUSE' && error.code !== 'EADDRNOTAVAIL') throw error;
    const why = error.code === 'EADDRINUSE' ? 'is taken' : 'is not an address of this machine';
    throw new Error(`${options.host}:${options.port} ${why}: choose another with --host or --port`);
  });
  // Its salted hash (never the code), so that --instructor on this laptop takes it (instructor-gate.ts).
  rememberInstructorCode(instructorCode);
  const wildcard = options.host === '0.0.0.0' || options.host === '::';
  const hosts = wildcard ? lanAddresses() : [options.host.includes(':') ? `[${options.host}]` : options.host];
  out(
    `The class board listens on ${options.host}:${running.port} (anyone on this network can reach it; all of it needs a code).`,
  );
  for (const host of hosts) out(`  http://${host}:${running.port}/`);
  out(`\nJoin code (show it to the room):  ${joinCode}`);
  out(`Participants run:  pnpm lab join ${hosts[0] ?? options.host}:${running.port} ${joinCode} --name <their name>`);
  if (options.instructorCode === undefined) {
    out(`\nInstructor code (yours only; shown once):  ${instructorCode}`);
  } else {
    out('\nInstructor code: the one in AUTHLAB_INSTRUCTOR_CODE.');
  }
  out('Open the address above and type it for every participant’s progress; the join code shows counts only.');
  out('--instructor on this laptop now takes this code (AUTHLAB_INSTRUCTOR_CODE, or typed when asked).');
  out('Ctrl-C stops the board (participants join again after a restart).');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await running.close();
  return 0;
}

/** `pnpm lab join <host:port> <code> --name <name>`. */
export async function joinCommand(address: string, code: string, name: string): Promise<number> {
  const membership = await joinClass(address, code, name);
  out(`Joined the class board at ${membership.board} as "${membership.name}".`);
  out('From now on your runner reports each lab you start, each hint you use and each solve (its state, times and');
  out('a hash of the files it verified; never your code). pnpm lab leave stops it.');
  await reportToClass();
  return 0;
}

export function leaveCommand(): number {
  out(leaveClass() ? 'Left the class: nothing is reported any more.' : 'You had not joined a class.');
  return 0;
}
