import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { commandBrowserOpener, defaultBrowserOpener, splitCommand, withManualFallback } from '../src/browser-opener.ts';

/** An authorization URL with everything a shell would mangle: `&`, `;`, `$`, `|`, quotes, spaces. */
const NASTY_URL = `http://127.0.0.1:4000/oidc/auth?client_id=a&state=b c&redirect_uri=x;echo $HOME|cat&q="'`;

describe('browser openers', () => {
  let dir: string;
  let fakeBrowser: string;
  let output: number;
  const node = JSON.stringify(process.execPath);

  before(() => {
    // A space in the path: the command must quote it, and the quoting must hold.
    dir = join(mkdtempSync(join(tmpdir(), 'authlab-opener-')), 'a browser dir');
    mkdirSync(dir);
    fakeBrowser = join(dir, 'fake browser.mjs');
    // The "browser": writes the arguments it received (after the output path) as JSON, then exits.
    writeFileSync(
      fakeBrowser,
      `import { writeFileSync } from 'node:fs';
const [out, ...args] = process.argv.slice(2);
writeFileSync(out, JSON.stringify(args));
`,
    );
    output = 0;
  });
  after(() => rmSync(join(dir, '..'), { recursive: true, force: true }));

  /** A command line running the fake browser, and where it will write what it received. */
  function fakeBrowserCommand(extra = '') {
    const out = join(dir, `argv-${++output}.json`);
    return {
      command: `${node} '${fakeBrowser}' "${out}" ${extra}`,
      received: () => JSON.parse(readFileSync(out, 'utf8')),
    };
  }

  describe('commandBrowserOpener', () => {
    it('passes the URL as exactly one final argument, whatever it contains, without a shell', async () => {
      const { command, received } = fakeBrowserCommand();
      await commandBrowserOpener(`  ${command}  `)(NASTY_URL);
      assert.deepEqual(received(), [NASTY_URL]);
    });

    it('keeps quoted words together: "a b", \'a b\', and quotes inside a word', async () => {
      const { command, received } = fakeBrowserCommand(
        `--new-window "two words" 'single quoted' --profile="Work 2" ''`,
      );
      await commandBrowserOpener(command)('https://example.com/?a=1&b=2');
      assert.deepEqual(received(), [
        '--new-window',
        'two words',
        'single quoted',
        '--profile=Work 2',
        '',
        'https://example.com/?a=1&b=2',
      ]);
    });

    it('rejects when the command cannot be started', async () => {
      await assert.rejects(
        commandBrowserOpener('/nonexistent/authlab-browser --flag')('https://example.com'),
        /could not start the browser command "\/nonexistent\/authlab-browser": .*ENOENT/,
      );
    });

    it('rejects when the command exits non-zero at once (no browser there)', async () => {
      await assert.rejects(
        commandBrowserOpener(`${node} -e "process.exit(3)"`)('https://example.com'),
        /exited with code 3/,
      );
    });

    it('rejects an empty command or an unterminated quote', async () => {
      await assert.rejects(commandBrowserOpener('   ')('https://example.com'), /empty/);
      await assert.rejects(commandBrowserOpener(`firefox "--profile=x`)('https://example.com'), /unterminated " quote/);
    });

    it('resolves while a browser started in the foreground keeps running', async () => {
      const started = Date.now();
      // Stays up for 3 s: the opener stops watching after its short window and lets it run.
      await commandBrowserOpener(`${node} -e "setTimeout(() => {}, 3000)"`)('https://example.com');
      assert.ok(Date.now() - started < 2_500);
    });
  });

  describe('splitCommand', () => {
    it('splits on whitespace, honours both quote kinds, and leaves backslashes alone (Windows paths)', () => {
      assert.deepEqual(splitCommand(`"C:\\Program Files\\Firefox\\firefox.exe" -P 'dev profile'`), [
        'C:\\Program Files\\Firefox\\firefox.exe',
        '-P',
        'dev profile',
      ]);
      assert.deepEqual(splitCommand(`a\tb\n c`), ['a', 'b', 'c']);
      assert.deepEqual(splitCommand(`say "it's" 'a "b"'`), ['say', "it's", 'a "b"']);
      assert.deepEqual(splitCommand('firefox; rm -rf ~ && echo $HOME'), [
        'firefox;',
        'rm',
        '-rf',
        '~',
        '&&',
        'echo',
        '$HOME',
      ]);
      assert.deepEqual(splitCommand(''), []);
    });
  });

  describe('defaultBrowserOpener', () => {
    it('uses $BROWSER when set, with the same word rules', async () => {
      const { command, received } = fakeBrowserCommand('--from-env');
      await defaultBrowserOpener({ BROWSER: command })(NASTY_URL);
      assert.deepEqual(received(), ['--from-env', NASTY_URL]);
    });

    it('rejects when $BROWSER cannot be started', async () => {
      await assert.rejects(
        defaultBrowserOpener({ BROWSER: '/nonexistent/authlab-browser' })('https://example.com'),
        /could not start/,
      );
    });
  });

  describe('withManualFallback', () => {
    it('shows the URL instead of failing when no browser can be started, and resolves', async () => {
      const shown: Array<[string, string]> = [];
      const opener = withManualFallback(commandBrowserOpener('/nonexistent/authlab-browser'), (url, reason) => {
        shown.push([url, reason.message]);
      });
      await opener('https://example.com/auth?a=1');
      assert.equal(shown.length, 1);
      assert.equal(shown[0]?.[0], 'https://example.com/auth?a=1');
      assert.match(shown[0]?.[1] ?? '', /ENOENT/);
    });

    it('shows nothing when the browser opened', async () => {
      const { command, received } = fakeBrowserCommand();
      let shown = false;
      await withManualFallback(commandBrowserOpener(command), () => {
        shown = true;
      })('https://example.com/');
      assert.deepEqual(received(), ['https://example.com/']);
      assert.equal(shown, false);
    });
  });
});
