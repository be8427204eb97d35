/**
 * `pnpm authlab` end to end: the CLI as child processes, the way a person runs it, against a real
 * authlab server, with a real Chromium as the system browser. Each machine is a temporary
 * AUTHLAB_HOME with the file vault (`AUTHLAB_VAULT=file`) and an environment of its own.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import {
  accountIdOf,
  CookieJarClient,
  DEMO_PASSWORD,
  findChromium,
  freePort,
  launchTestBrowser,
  requireComponent,
  type ServerProcess,
  startServerProcess,
} from '@authlab/testkit';
import {
  authlab,
  FakeBrowserReport,
  fakeBrowserCommand,
  killLeftoverProcesses,
  Machine,
  pnpmAuthlab,
  STACK_TRACE,
  startAuthlab,
} from './support/authlab-cli.ts';

const chromium = findChromium();
/** The loopback listener's one-time start link: all a browser's command line holds of a sign-in. */
const START_LINK = /^http:\/\/127\.0\.0\.1:\d+\/start\/[A-Za-z0-9_-]{43}$/;

/** A GET as curl would send it (no Sec-Fetch headers), redirects not followed. */
function plainGet(url: string): Promise<{ status: number; location: string | undefined }> {
  return new Promise((resolve, reject) => {
    get(url, { agent: false }, (response) => {
      response.resume();
      resolve({ status: response.statusCode ?? 0, location: response.headers.location });
    }).on('error', reject);
  });
}
const needsChromium = (t: TestContext) =>
  requireComponent(t, chromium !== null, 'Chromium', 'apt-get install chromium');

const ALICE = 'alice@example.com';
const BOB = 'bob@example.com';
const NOT_SIGNED_IN = /not signed in: run `pnpm authlab login`/;

let server: ServerProcess;
const machines: Machine[] = [];
const newMachine = () => {
  const machine = new Machine();
  machines.push(machine);
  return machine;
};

/** A browser's session sign-in (a cookie jar, no Origin: as a non-browser client would send it). */
async function signInElsewhere(email: string): Promise<CookieJarClient> {
  const browser = new CookieJarClient(server.url);
  const login = await browser.request('/session/login', { method: 'POST', json: { email, password: DEMO_PASSWORD } });
  assert.equal(login.status, 200, `${email} signs in`);
  return browser;
}

// Hooks inside a suite: node:test runs file-level `before` even when a name pattern selects no
// test here, but not `after`, which would leave the server running.
describe('pnpm authlab against a real server', () => {
  before(async () => {
    server = await startServerProcess();
  });
  after(async () => {
    killLeftoverProcesses();
    await server?.stop();
    for (const machine of machines) machine.remove();
  });

  describe('signed in through the system browser (OIDC, --browser CMD)', () => {
    const machine = newMachine();
    const account = () => `oidc:${server.url}/oidc authlab-cli`;
    const run = (...args: string[]) => authlab(args, { env: machine.env() });
    let noteId: string;

    it('login runs the browser command with a one-time start link (no state or challenge on its command line); alice signs in there and the CLI says so', async (t) => {
      if (!needsChromium(t)) return;
      const report = new FakeBrowserReport(join(machine.root, 'browser-report.jsonl'));
      t.after(() => report.stop());
      const login = startAuthlab(['login', '--server', server.url, '--browser', fakeBrowserCommand()], {
        env: machine.env({ CHROMIUM_PATH: chromium ?? undefined, FAKE_BROWSER_REPORT: report.file }),
      });
      const result = await Promise.race([login.done(), report.failure()]);

      assert.equal(result.code, 0, result.stderr);
      assert.equal(
        result.stdout,
        `signed in as ${ALICE} (oidc, ${server.url}); token in file (${machine.vaultFile})\n`,
      );
      assert.match(result.stderr, /warning: the refresh token is stored in .*vault\.json, readable by anything/);
      assert.doesNotMatch(result.stderr, /could not open a browser|open this URL/, 'the browser command was used');

      // The browser's command line (readable by any process of the user) holds only the listener's
      // start link; state and the PKCE challenge reached the browser in the link's redirect.
      const opened = await report.waitFor((line) => (line.event === 'started' ? line.url : undefined), 'start');
      assert.match(opened, START_LINK);
      assert.doesNotMatch(opened, /state|code_challenge|redirect_uri/);

      const finished = await report.waitFor((line) => (line.event === 'finished' ? line : undefined), 'result page');
      assert.equal(finished.outcome, 'success');
      assert.equal(
        finished.consentClient,
        'authlab terminal client',
        'the consent page names the CLI, not the desktop app',
      );
      assert.match(finished.finalUrl, /^http:\/\/127\.0\.0\.1:\d+\/done\?ok=1$/, 'no code or state in the address bar');
      assert.deepEqual(finished.problems, [], 'no console errors or CSP violations in the browser');
      const exitCode = await report.waitFor((line) => (line.event === 'exited' ? line.code : undefined), 'exit');
      assert.equal(exitCode, 0, 'the browser command exits 0 once the result page is shown');
    });

    it('keeps the refresh token in a vault file readable by its owner only (0600)', (t) => {
      if (!needsChromium(t)) return;
      assert.equal(statSync(machine.vaultFile).mode & 0o777, 0o600);
      assert.deepEqual(Object.keys(machine.vaultEntries() ?? {}), [account()]);
    });

    it('whoami prints alice’s email and `via oidc`', async (t) => {
      if (!needsChromium(t)) return;
      const result = await run('whoami');
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, `${ALICE} (user) via oidc at ${server.url}\n`);
    });

    it('call POST /api/notes --data prints the created note as JSON and exits 0', async (t) => {
      if (!needsChromium(t)) return;
      const result = await run('call', 'POST', '/api/notes', '--data', '{"text":"from the cli"}');
      assert.equal(result.code, 0, result.stderr);
      const note = JSON.parse(result.stdout) as { id: string; text: string; ownerId: string; createdAt: string };
      assert.equal(note.text, 'from the cli');
      assert.equal(note.ownerId, await accountIdOf(server.url, ALICE));
      assert.ok(note.id);
      noteId = note.id;
    });

    it('call /api/notes lists that note', async (t) => {
      if (!needsChromium(t)) return;
      const result = await run('call', '/api/notes');
      assert.equal(result.code, 0, result.stderr);
      const { notes } = JSON.parse(result.stdout) as { notes: Array<{ id: string; text: string }> };
      assert.deepEqual(
        notes.map(({ id, text }) => ({ id, text })),
        [{ id: noteId, text: 'from the cli' }],
      );
    });

    it('status shows mode oidc, the file vault and the access token’s time left', async (t) => {
      if (!needsChromium(t)) return;
      const result = await run('status');
      assert.equal(result.code, 0, result.stderr);
      const lines = result.stdout.trimEnd().split('\n');
      assert.equal(lines[0], 'mode: oidc');
      assert.equal(lines[1], `server: ${server.url}`);
      assert.equal(lines[2], `vault: file (${machine.vaultFile})`);
      assert.match(lines[3] ?? '', /^access token: (\d+ min )?\d+ s left$/);
    });

    it('call /api/does-not-exist exits 3 and prints the JSON error', async (t) => {
      if (!needsChromium(t)) return;
      const result = await run('call', '/api/does-not-exist');
      assert.equal(result.code, 3, result.stderr);
      assert.equal((JSON.parse(result.stdout) as { error: string }).error, 'not_found');
      assert.match(result.stderr, /GET \/api\/does-not-exist answered 404/);
    });

    it('logout exits 0, removes the token from the vault, and the provider no longer honours it', async (t) => {
      if (!needsChromium(t)) return;
      const refreshToken = machine.storedRefreshToken(account());
      const result = await run('logout');
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, 'signed out: the refresh token is revoked and removed from this machine\n');
      assert.equal(machine.vaultEntries(), null, 'the vault file is gone with its only entry');

      const response = await fetch(`${server.url}/oidc/token`, {
        method: 'POST',
        body: new URLSearchParams({
          grant_type: 'refresh_token',
          client_id: 'authlab-cli',
          refresh_token: refreshToken,
        }),
      });
      assert.equal(response.status, 400);
      assert.equal(((await response.json()) as { error: string }).error, 'invalid_grant');
    });

    it('after logout, whoami exits 2 and says to log in', async (t) => {
      if (!needsChromium(t)) return;
      const result = await run('whoami');
      assert.equal(result.code, 2);
      assert.equal(result.stdout, '');
      assert.match(result.stderr, NOT_SIGNED_IN);
    });
  });

  describe('signed in with --no-browser (SSH, containers)', () => {
    it('prints the sign-in URL on stderr, waits, and completes once a browser signs in at that URL', async (t) => {
      if (!needsChromium(t)) return;
      const machine = newMachine();
      const login = startAuthlab(['login', '--server', server.url, '--no-browser'], { env: machine.env() });
      const [, printed] = await login.waitForStderr(/open this URL in a browser to sign in:\n\n {2}(\S+)\n/);
      assert.match(printed ?? '', START_LINK);
      const url = new URL(printed ?? '');

      const browser = await launchTestBrowser();
      t.after(() => browser.close());
      const page = await browser.newPage();
      await page.goto(url.href);
      await page.locator('#email').fill(ALICE);
      await page.locator('#password').fill(DEMO_PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.locator('#allow').click();
      const result = await login.done();

      assert.equal(result.code, 0, result.stderr);
      assert.equal(
        result.stdout,
        `signed in as ${ALICE} (oidc, ${server.url}); token in file (${machine.vaultFile})\n`,
      );
      assert.equal(await page.locator('#result').getAttribute('data-outcome'), 'success');
      assert.doesNotMatch(result.stderr, /could not open a browser/, 'no browser was tried');
      const whoami = await authlab(['whoami'], { env: machine.env() });
      assert.equal(whoami.stdout, `${ALICE} (user) via oidc at ${server.url}\n`);
    });
  });

  describe('a program that opens the start link before the browser (it read the command line)', () => {
    it('gets the redirect, the browser a 404, and the sign-in stops with exit 5: no code of the racer is taken', async () => {
      const machine = newMachine();
      const login = startAuthlab(['login', '--server', server.url, '--no-browser'], { env: machine.env() });
      const [, printed] = await login.waitForStderr(/open this URL in a browser to sign in:\n\n {2}(\S+)\n/);
      const racer = await plainGet(printed ?? '');
      assert.equal(racer.status, 302);
      const authorization = new URL(racer.location ?? '');
      assert.equal(authorization.origin + authorization.pathname, `${server.url}/oidc/auth`);
      assert.ok(authorization.searchParams.get('state'), 'the redirect carries the state');
      assert.equal(authorization.searchParams.get('code_challenge_method'), 'S256');

      const browser = await plainGet(printed ?? '');
      assert.equal(browser.status, 404, 'the link works once');
      const result = await login.done();
      assert.equal(result.code, 5, result.stderr);
      assert.match(result.stderr, /opened twice/);
      assert.doesNotMatch(result.stderr, STACK_TRACE);
      assert.equal(machine.vaultEntries(), null, 'nobody was signed in');
    });
  });

  describe('signed in with a password (JWT, answers on stdin)', () => {
    const machine = newMachine();
    const run = (...args: string[]) => authlab(args, { env: machine.env() });

    it('login --mode jwt reads email and password from stdin and signs bob in', async () => {
      const result = await authlab(['login', '--mode', 'jwt', '--server', server.url, '--device', 'e2e laptop'], {
        env: machine.env(),
        stdin: `${BOB}\n${DEMO_PASSWORD}\n`,
      });
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, `signed in as ${BOB} (jwt, ${server.url}); token in file (${machine.vaultFile})\n`);
      assert.match(result.stderr, /email: \npassword: \n/);
      assert.ok(!`${result.stdout}${result.stderr}`.includes(DEMO_PASSWORD), 'the password is never printed');
      assert.equal(statSync(machine.vaultFile).mode & 0o777, 0o600);

      const whoami = await run('whoami');
      assert.equal(whoami.code, 0, whoami.stderr);
      assert.equal(whoami.stdout, `${BOB} (user) via jwt at ${server.url}\n`);
    });

    it('`pnpm -s authlab call` prints only the JSON on stdout, ready for jq', async () => {
      const created = await run('call', 'POST', '/api/notes', '--data', '{"text":"for jq"}');
      assert.equal(created.code, 0, created.stderr);

      const result = await pnpmAuthlab(['call', '/api/notes'], { env: machine.env() });
      assert.equal(result.code, 0, result.stderr);
      const body = JSON.parse(result.stdout) as { notes: Array<{ text: string }> };
      assert.deepEqual(
        body.notes.map((note) => note.text),
        ['for jq'],
      );
      assert.equal(result.stdout, `${JSON.stringify(body, null, 2)}\n`, 'nothing but the JSON');
    });

    it('logout --everywhere also ends bob’s other sessions: a browser’s, and another machine’s CLI', async () => {
      const browserElsewhere = await signInElsewhere(BOB);
      assert.equal((await browserElsewhere.request('/session/me')).status, 200);
      const laptop = newMachine();
      const laptopLogin = await authlab(['login', '--mode', 'jwt', '--server', server.url], {
        env: laptop.env(),
        stdin: `${BOB}\n${DEMO_PASSWORD}\n`,
      });
      assert.equal(laptopLogin.code, 0, laptopLogin.stderr);

      const result = await run('logout', '--everywhere');
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /^signed out everywhere/);
      assert.equal(machine.vaultEntries(), null, 'the vault file is gone with its only entry');
      const whoami = await run('whoami');
      assert.equal(whoami.code, 2);
      assert.match(whoami.stderr, NOT_SIGNED_IN);

      assert.equal((await browserElsewhere.request('/session/me')).status, 401, 'the browser session has ended');
      const onLaptop = await authlab(['whoami'], { env: laptop.env() });
      assert.equal(onLaptop.code, 5, onLaptop.stderr);
      assert.match(
        onLaptop.stderr,
        /the server ended this sign-in \(revoked or expired\): run `pnpm authlab login` again/,
      );
      assert.equal(laptop.vaultEntries(), null, 'the laptop forgot the dead refresh token');
      assert.equal((await authlab(['whoami'], { env: laptop.env() })).code, 2);
    });
  });

  describe('errors: a message and a documented exit code, never a stack trace', () => {
    it('an unknown command exits 1 and shows the usage', async () => {
      const machine = newMachine();
      const result = await authlab(['frobnicate'], { env: machine.env() });
      assert.equal(result.code, 1);
      assert.match(result.stderr, /unknown command "frobnicate"/);
      assert.match(result.stderr, /usage: pnpm authlab <command>/);
      assert.match(result.stderr, /exit codes: 0 ok, 1 usage, 2 not signed in/);
    });

    it('login to a plain-http server that is not on loopback exits 1 with the refusal', async () => {
      const machine = newMachine();
      const result = await authlab(['login', '--server', 'http://example.com'], { env: machine.env() });
      assert.equal(result.code, 1);
      assert.match(result.stderr, /refusing http:\/\/example\.com: plain http is accepted only on a loopback host/);
      assert.equal(machine.vaultEntries(), null);
    });

    it('an option or argument the command does not take, or a call fetch cannot send, exits 1 before the sign-in check', async () => {
      const machine = newMachine();
      const cases: Array<[string[], RegExp]> = [
        [['whoami', '--mode', 'jwt'], /whoami does not take --mode/],
        [['login', '--everywhere'], /login does not take --everywhere/],
        [['status', 'now'], /unexpected argument "now" for status/],
        [['call', 'GET', '/api/me', '/api/notes'], /unexpected argument "\/api\/notes" for call/],
        [['call', 'G ET', '/api/me'], /unknown method "G ET"/],
        [['call', 'TRACE', '/api/me'], /unknown method "TRACE"/],
        [['call', '/api/me', '/api/notes'], /unknown method "\/api\/me"/],
        [['call', 'GET', '/api/notes', '--data', '{}'], /--data cannot go with GET/],
        [['whoami', '--server', 'ftp://localhost'], /refusing ftp:\/\/localhost: use https/],
      ];
      for (const [args, message] of cases) {
        const result = await authlab(args, { env: machine.env() });
        assert.equal(result.code, 1, `${args.join(' ')}: ${result.stderr}`);
        assert.match(result.stderr, message);
        assert.doesNotMatch(result.stderr, NOT_SIGNED_IN, 'a usage error, found before the sign-in check');
        assert.doesNotMatch(result.stderr, STACK_TRACE);
      }
    });

    it('a server in settings.json that is not a URL is named as coming from there, not from --server', async () => {
      const machine = newMachine();
      mkdirSync(machine.authlabHome, { recursive: true, mode: 0o700 });
      writeFileSync(join(machine.authlabHome, 'settings.json'), '{"server":"not a url","mode":"jwt"}\n');
      const result = await authlab(['whoami'], { env: machine.env() });
      assert.equal(result.code, 1, result.stderr);
      assert.match(result.stderr, /the server stored in .*settings\.json: not a url is not a URL/);
    });

    it('whoami before any login exits 2 and says to log in', async () => {
      const machine = newMachine();
      const result = await authlab(['whoami'], { env: machine.env() });
      assert.equal(result.code, 2);
      assert.equal(result.stdout, '');
      assert.match(result.stderr, NOT_SIGNED_IN);
    });

    it('login --mode jwt with nothing on standard input stops the sign-in: exit 5, nothing stored', async () => {
      const machine = newMachine();
      const result = await authlab(['login', '--mode', 'jwt', '--server', server.url], { env: machine.env() });
      assert.equal(result.code, 5, result.stderr);
      assert.match(result.stderr, /authlab: sign-in stopped: no answer to "email:" on standard input/);
      assert.equal(machine.vaultEntries(), null);
    });

    it('login --mode jwt to a server that is down exits 4 with a human message', async () => {
      const machine = newMachine();
      const downServer = `http://127.0.0.1:${await freePort()}`;
      const result = await authlab(['login', '--mode', 'jwt', '--server', downServer], {
        env: machine.env(),
        stdin: `${ALICE}\n${DEMO_PASSWORD}\n`,
      });
      assert.equal(result.code, 4, result.stderr);
      assert.match(result.stderr, new RegExp(`authlab: cannot reach ${downServer.replaceAll('.', '\\.')}`));
      assert.doesNotMatch(result.stderr, STACK_TRACE);
      assert.equal(machine.vaultEntries(), null);
    });

    it('a vault file that other users can read is refused: exit 1, naming the chmod that fixes it', async () => {
      const machine = newMachine();
      mkdirSync(machine.authlabHome, { recursive: true, mode: 0o700 });
      writeFileSync(machine.vaultFile, '{"version":1,"entries":{}}\n', { mode: 0o644 });
      chmodSync(machine.vaultFile, 0o644);
      const result = await authlab(['whoami'], { env: machine.env() });
      assert.equal(result.code, 1, result.stderr);
      assert.match(result.stderr, /is accessible to other users \(mode 0644\)/);
      assert.ok(result.stderr.includes(`chmod 600 ${machine.vaultFile}`), result.stderr);
    });

    it('without AUTHLAB_VAULT and without a Secret Service, the key store is unavailable: exit 1, telling to set AUTHLAB_VAULT=file', {
      skip: process.platform !== 'linux' && 'the Secret Service is the Linux key store',
    }, async () => {
      const machine = newMachine();
      // A session bus that does not exist: no Secret Service, whatever runs on the developer's desktop.
      const env = machine.env({
        AUTHLAB_VAULT: undefined,
        DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(machine.root, 'no-bus')}`,
      });
      const result = await authlab(['login', '--mode', 'jwt', '--server', server.url], {
        env,
        stdin: `${ALICE}\n${DEMO_PASSWORD}\n`,
      });
      assert.equal(result.code, 1, result.stderr);
      assert.match(result.stderr, /no Secret Service/);
      assert.match(result.stderr, /AUTHLAB_VAULT=file/);
      assert.doesNotMatch(result.stderr, /email:/, 'it stops before asking for the password');
      assert.equal(machine.vaultEntries(), null, 'and never falls back to a file by itself');
    });
  });
});
