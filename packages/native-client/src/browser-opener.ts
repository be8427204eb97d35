import { type ChildProcess, spawn } from 'node:child_process';
import open from 'open';

/**
 * Opens a URL in the person's browser; rejects when no browser could be started. The
 * `LoopbackAuthorizer` passes its one-time start link as `url` and, for the app's own display
 * only (never to a command line), the authorization URL that link redirects to.
 */
export type BrowserOpener = (url: string, request?: { authorizationUrl: string }) => Promise<void>;

/**
 * How long a launcher (`xdg-open`, `open`, a `$BROWSER` command) is watched after it started: one
 * that exits non-zero this fast found no browser (a headless box, WSL without wslu, a typo), and
 * saying so now beats a sign-in that waits five minutes for a tab that never opened.
 */
const LAUNCH_WATCH_MS = 1_000;

/**
 * Splits a command line into words the way a person means it, without a shell: whitespace
 * separates words, `"a b"` and `'a b'` keep spaces, quoted and unquoted parts next to each other
 * join (`--profile="Work 2"` is one word). Backslashes are ordinary characters, so Windows paths
 * survive. Nothing is expanded: no variables, globs, pipes or `;`.
 *
 * @example
 * splitCommand(`"/opt/My Browser/browser" --new-window`); // ['/opt/My Browser/browser', '--new-window']
 */
export function splitCommand(command: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (const char of command) {
    if (quote) {
      if (char === quote) quote = undefined;
      else word += char;
    } else if (char === '"' || char === "'") {
      quote = char;
      inWord = true;
    } else if (/\s/.test(char)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += char;
      inWord = true;
    }
  }
  if (quote) throw new Error(`unterminated ${quote} quote in browser command: ${command}`);
  if (inWord) words.push(word);
  return words;
}

/**
 * Resolves once the launcher has started and has not failed within `LAUNCH_WATCH_MS` (it may
 * still be running: a browser started in the foreground); rejects when it could not be started
 * or exited non-zero in that window.
 */
function watchLaunch(child: ChildProcess, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => done(new Error(`could not start ${what}: ${error.message}`, { cause: error }));
    const onExit = (code: number | null, signal: NodeJS.Signals | null) =>
      done(code === 0 ? undefined : new Error(`${what} exited with ${code === null ? signal : `code ${code}`}`));
    // A spawn failure (ENOENT, EACCES) is reported on the next tick, well inside the window.
    const timer = setTimeout(() => done(), LAUNCH_WATCH_MS);
    timer.unref();
    function done(error?: Error) {
      clearTimeout(timer);
      child.off('error', onError);
      child.off('exit', onExit);
      // A late error must not crash the app; the launch is no longer ours to judge.
      child.on('error', () => {});
      // Detached and unreferenced: the browser outlives a CLI that exits right after sign-in.
      child.unref();
      if (error) reject(error);
      else resolve();
    }
    child.once('error', onError);
    child.once('exit', onExit);
  });
}

/**
 * A browser opener for a command the person chose (the CLI's `--browser CMD`): the command is
 * split into words without a shell (see `splitCommand`) and the URL is appended as one final
 * argument, so `&`, `?` and spaces in it reach the browser untouched. Rejects when the command
 * cannot be started or exits non-zero at once.
 *
 * @example
 * const openBrowser = commandBrowserOpener('firefox --private-window');
 * await openBrowser('https://example.com/authorize?client_id=a&state=b');
 * // runs: firefox --private-window 'https://example.com/authorize?client_id=a&state=b'
 */
export function commandBrowserOpener(command: string): BrowserOpener {
  return async (url) => {
    const [program, ...args] = splitCommand(command);
    if (!program) throw new Error('the browser command is empty');
    const child = spawn(program, [...args, url], { detached: true, stdio: 'ignore', windowsHide: true });
    await watchLaunch(child, `the browser command "${program}"`);
  };
}

/**
 * The person's browser: the command in `$BROWSER` when set (the Unix convention; same rules as
 * `commandBrowserOpener`), else the platform's opener through the `open` package (`xdg-open`,
 * macOS `open`, Windows `start`, WSL's Windows browser). Rejects when nothing could be started.
 *
 * @example
 * const authorizer = new LoopbackAuthorizer({ issuer, clientId, openBrowser: defaultBrowserOpener() });
 */
export function defaultBrowserOpener(env: Record<string, string | undefined> = process.env): BrowserOpener {
  const fromEnv = env.BROWSER?.trim();
  if (fromEnv) return commandBrowserOpener(fromEnv);
  return async (url) => {
    let child: ChildProcess;
    try {
      child = await open(url);
    } catch (error) {
      throw new Error(`could not start the system browser: ${(error as Error).message}`, { cause: error });
    }
    // `open` resolves once its launcher started; a launcher that finds no browser exits non-zero.
    if (child.exitCode !== null && child.exitCode !== 0) {
      throw new Error(`the system browser launcher exited with code ${child.exitCode}`);
    }
    if (child.exitCode === null && child.signalCode === null) await watchLaunch(child, 'the system browser launcher');
  };
}

/**
 * Tries `opener`; when it fails, shows the URL instead and resolves, so the sign-in keeps waiting
 * for the person to open it by hand (no browser on this machine: a container, WSL without wslu).
 * Use it where a person is watching the output, e.g. a terminal.
 *
 * @example
 * const openBrowser = withManualFallback(defaultBrowserOpener(), (url, reason) =>
 *   process.stderr.write(`Could not open a browser (${reason.message}).\nOpen this URL to sign in:\n  ${url}\n`),
 * );
 */
export function withManualFallback(opener: BrowserOpener, show: (url: string, reason: Error) => void): BrowserOpener {
  return async (url) => {
    try {
      await opener(url);
    } catch (error) {
      show(url, error instanceof Error ? error : new Error(String(error)));
    }
  };
}
