import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';

let pipedLines: Promise<string[]> | null = null;

/** Piped input (tests, scripts): read once, answer the questions in order. */
function nextPipedLine(): Promise<string | undefined> {
  pipedLines ??= new Promise((resolve) => {
    const lines: string[] = [];
    const rl = createInterface({ input: process.stdin });
    rl.on('line', (line) => lines.push(line));
    rl.on('close', () => resolve(lines));
  });
  return pipedLines.then((lines) => lines.shift());
}

/**
 * Asks on stderr (stdout stays clean for `pnpm -s authlab call …`). A hidden question echoes
 * nothing; on a terminal, Ctrl-C cancels. Without a terminal the answers come from stdin lines.
 */
export async function ask(question: string, options: { hidden?: boolean } = {}): Promise<string> {
  if (!process.stdin.isTTY) {
    process.stderr.write(question);
    const line = await nextPipedLine();
    process.stderr.write('\n');
    if (line === undefined) throw new Error(`no answer to "${question.trim()}" on standard input`);
    return line;
  }
  let muted = false;
  const output = new Writable({
    write(chunk, _encoding, callback) {
      if (!muted) process.stderr.write(chunk);
      callback();
    },
  });
  const rl = createInterface({ input: process.stdin, output, terminal: true });
  return new Promise((resolve, reject) => {
    rl.on('SIGINT', () => {
      rl.close();
      process.stderr.write('\n');
      reject(new Error('cancelled'));
    });
    rl.question(question, (answer) => {
      rl.close();
      if (options.hidden) process.stderr.write('\n');
      resolve(answer);
    });
    muted = options.hidden ?? false;
  });
}
