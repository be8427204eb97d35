/**
 * `pnpm lab start <lab>`: goal and steps, the learner's server, and a re-check on every save, until
 * `q`, Ctrl-C, Ctrl-D, SIGINT/SIGTERM or the end of input.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { reportToClass } from './class/participant.ts';
import { ensureWorkCopy, labNumber, out, recordRun, shown } from './commands.ts';
import type { Lab } from './labs.ts';
import { checkRound, describeChanged, type Snapshot, takeSnapshot } from './round.ts';
import { describeRun } from './run.ts';
import { hashWorkFiles } from './solve-proof.ts';
import { isSolved, updateProgress } from './state.ts';
import { type RunningLabServer, startLabServer } from './target.ts';
import { serialRuns, watchFolder } from './watch.ts';

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

export async function start(lab: Lab, options: { poll: boolean }): Promise<number> {
  const dir = ensureWorkCopy(lab);
  updateProgress(lab.id, (progress) => ({ ...progress, startedAt: progress.startedAt ?? new Date().toISOString() }));
  void reportToClass([lab.id]);
  out(`# ${lab.id}: ${lab.title}  (${lab.timeBoxMinutes} min, ${lab.mode} mode)\n`);
  out(`## Goal\n\n${lab.sections.get('Goal') ?? ''}\n`);
  out(`## Steps\n\n${lab.sections.get('Steps') ?? ''}\n`);
  out(`Your copy: ${shown(dir)}/  (edit it; the checks re-run on every save)`);

  /**
   * The learner's own server, up between rounds so they can poke at it, run from the round's
   * snapshot; it keeps its port across saves, so a browser tab or a curl loop keeps working.
   */
  let server: RunningLabServer | null = null;
  let snapshot: Snapshot | null = null;
  let port = 0;
  let quitting = false;
  let solvedAnnounced = isSolved(lab.id);

  const stopServer = async () => {
    const previous = server;
    server = null;
    await previous?.stop();
    snapshot?.remove();
    snapshot = null;
  };

  const round = async () => {
    await stopServer();
    if (quitting) return;
    if (!existsSync(join(dir, 'server.ts'))) {
      out(
        `\n✗ ${shown(dir)}/server.ts is gone (a \`pnpm lab reset\`?). For a fresh copy of the starter: pnpm lab start ${labNumber(lab)}`,
      );
      void quit(1);
      return;
    }
    // One snapshot per round: the server, the attack and every check see the same code, however
    // many saves happen meanwhile (those start the next round).
    const current = takeSnapshot(lab, dir);
    snapshot = current;
    // Hashed before anything runs from it, as `pnpm lab check` does: the same files, the same hash.
    const workHash = hashWorkFiles(current.dir);
    let started: RunningLabServer;
    try {
      started = await startOnPort(current.dir, port);
    } catch (error) {
      out(`\n✗ Your server does not start:\n${message(error)}\nFix it and save: the checks run again then.`);
      return;
    }
    if (quitting) return void (await started.stop());
    server = started;
    port = started.port;
    out(`\nYour server: ${started.url}`);
    for (const [key, value] of Object.entries(started.info)) out(`  ${key}: ${JSON.stringify(value)}`);
    out('Checking …');
    const { run, changed, solved } = await checkRound(lab, current);
    if (quitting) return;
    out(describeRun(run));
    if (changed.length > 0) out(describeChanged(changed));
    recordRun(lab, solved, workHash);
    void reportToClass([lab.id]);
    if (solved && !solvedAnnounced) {
      solvedAnnounced = true;
      out(`\n★ Solved ${lab.id}!\n\n## Debrief\n\n${lab.sections.get('Debrief') ?? ''}`);
      out(`\nThe reference fix: pnpm lab solution ${labNumber(lab)}`);
    } else if (!solved) {
      out(`\nNot yet. Stuck? pnpm lab hint ${labNumber(lab)}`);
    }
  };
  const rounds = serialRuns(
    async () => {
      await round();
      if (!quitting) out('[r] re-run  [q] quit');
    },
    (error) => out(`✗ ${message(error)}\n[r] re-run  [q] quit`),
  );

  let finish: (code: number) => void = () => {};
  const finished = new Promise<number>((resolve) => {
    finish = resolve;
  });
  /**
   * Stops watching and stops the learner's server at once; the servers of a round in progress go
   * down with this process (each notices its runner is gone, see target.ts).
   */
  const quit = async (code?: number) => {
    if (quitting) return;
    quitting = true;
    watcher.close();
    keyboard.close();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await stopServer();
    finish(code ?? (isSolved(lab.id) ? 0 : 1));
  };
  const onSignal = () => void quit();

  const watcher = watchFolder(dir, rounds.request, { poll: options.poll });
  if (watcher.kind === 'polling') out('(watching by polling every 0.5 s)');
  const keyboard = listenForKeys({
    rerun: rounds.request,
    quit: () => void quit(),
    // Input ended (a pipe closed, /dev/null): nobody can press q, so finish this round and stop.
    end: () => void rounds.idle().then(() => quit()),
  });
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  rounds.request();
  return finished;
}

/** The learner's server on the port it had (0: any); on a fresh one if that port was taken meanwhile. */
async function startOnPort(dir: string, port: number): Promise<RunningLabServer> {
  if (port === 0) return startLabServer(dir);
  return startLabServer(dir, { port }).catch((error: unknown) => {
    if (!message(error).includes('could not listen')) throw error;
    return startLabServer(dir);
  });
}

/**
 * `r` and `q` from the keyboard: single keys in a terminal (raw mode, where Ctrl-C and Ctrl-D
 * arrive as keys too), whole lines from a pipe.
 */
function listenForKeys(on: { rerun(): void; quit(): void; end(): void }): { close(): void } {
  const { stdin } = process;
  const key = (text: string) => {
    const k = text.trim().toLowerCase();
    if (k === 'r') on.rerun();
    else if (k === 'q' || k === '\u0003' || k === '\u0004') on.quit();
  };
  if (stdin.isTTY) {
    const onData = (chunk: Buffer) => {
      for (const character of chunk.toString('utf8')) key(character);
    };
    stdin.setRawMode(true);
    stdin.on('data', onData);
    return {
      close() {
        stdin.off('data', onData);
        stdin.setRawMode(false);
        stdin.pause();
      },
    };
  }
  const lines = createInterface({ input: stdin });
  lines.on('line', key);
  lines.on('close', on.end);
  return {
    close() {
      lines.off('close', on.end);
      lines.close();
    },
  };
}
