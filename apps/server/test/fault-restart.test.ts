/**
 * Fault: the server process dies without warning, or comes back to a DATA_DIR whose keys were
 * lost or damaged.
 *
 * The server runs as `node apps/server/src/main.ts`, the way `pnpm start` runs it, on SQLite.
 * SIGKILL gives it no chance to flush or close anything: every write it acknowledged must be
 * there when it starts again on the same DATA_DIR, PORT and PUBLIC_URL, and every credential
 * issued before must still work (ASVS V3.3, sessions end only by logout or timeout; RFC 6749
 * §6 / RFC 9700 §4.14, refresh tokens outlive the process). A DATA_DIR that holds data but lost
 * a key must stop start-up naming the file rather than mint a new key, which would sign everyone
 * out and, behind a load balancer, split the instances (DESIGN.md, "Configuration").
 * startup.test.ts covers the session key file and a graceful SIGTERM; this file covers SIGKILL
 * and the JWT, OIDC and web-client key files.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePort } from '@authlab/testkit';
import { authorize, tokenRequest } from './support/oidc.ts';
import { Client, DEMO_PASSWORD, hermeticEnv } from './support/server.ts';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const mainTs = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const STACK_FRAME = /^\s+at /m;

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

interface ServerProcess {
  child: ChildProcess;
  url: string;
  stderr(): string;
  stdout(): string;
  waitForExit(timeoutMs?: number): Promise<Exit>;
}

const children = new Set<ChildProcess>();
after(() => {
  for (const child of children) child.kill('SIGKILL');
});

function spawnServer(env: Record<string, string>): ServerProcess {
  const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', mainTs], {
    cwd: repoRoot,
    env: { ...hermeticEnv(), LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let out = '';
  let err = '';
  let exit: Exit | undefined;
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
  });
  child.on('close', (code, signal) => {
    exit = { code, signal };
    children.delete(child);
  });
  return {
    child,
    url: `http://127.0.0.1:${env.PORT}`,
    stdout: () => out,
    stderr: () => err,
    async waitForExit(timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (!exit) {
        if (Date.now() > deadline) assert.fail(`the server did not exit within ${timeoutMs} ms\nstderr: ${err}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return exit;
    },
  };
}

/** Starts the server and waits until /healthz answers 200 (fails, with its output, if it exits). */
async function startServerProcess(env: Record<string, string>): Promise<ServerProcess> {
  const server = spawnServer(env);
  const deadline = Date.now() + 20_000;
  let exited: Exit | undefined;
  server.child.once('exit', (code, signal) => {
    exited = { code, signal };
  });
  for (;;) {
    if (exited) assert.fail(`the server exited (${exited.code ?? exited.signal})\nstderr: ${server.stderr()}`);
    try {
      if ((await fetch(`${server.url}/healthz`, { signal: AbortSignal.timeout(2_000) })).status === 200) return server;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) assert.fail(`/healthz did not answer 200 within 20 s\nstderr: ${server.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function kill9(server: ServerProcess): Promise<void> {
  server.child.kill('SIGKILL');
  const exit = await server.waitForExit();
  assert.equal(exit.signal, 'SIGKILL');
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** Every file under `secrets/` with a hash of its content: what "no new key written" compares. */
function secretsSnapshot(dataDir: string): Record<string, string> {
  const dir = join(dataDir, 'secrets');
  return Object.fromEntries(
    readdirSync(dir)
      .sort()
      .map((name) => [
        name,
        createHash('sha256')
          .update(readFileSync(join(dir, name)))
          .digest('hex'),
      ]),
  );
}

describe('SIGKILL and a restart on the same SQLite DATA_DIR', () => {
  let dataDir: string;
  let env: Record<string, string>;
  let first: ServerProcess;
  let second: ServerProcess | undefined;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'authlab-fault-restart-'));
    const port = await freePort();
    env = { DATA_DIR: dataDir, PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}` };
    first = await startServerProcess(env);
  });

  after(async () => {
    if (second && !second.child.killed) {
      second.child.kill('SIGTERM');
      await second.waitForExit();
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps sessions, JWT refresh families, OIDC grants and refresh tokens, and notes', async () => {
    const base = first.url;
    const browser = new Client(base);
    assert.equal((await browser.login('alice@example.com')).status, 200);
    const jwtLogin = await new Client(base).json('/jwt/login', {
      method: 'POST',
      json: { email: 'bob@example.com', password: DEMO_PASSWORD, device_name: 'before the crash' },
    });
    assert.equal(jwtLogin.status, 200);
    // One rotation before the crash: the family's current token is the second one.
    const rotated = await new Client(base).json('/jwt/refresh', {
      method: 'POST',
      json: { refresh_token: jwtLogin.body.refresh_token },
    });
    assert.equal(rotated.status, 200);
    const flow = await authorize(new Client(base), { email: 'admin@example.com' });
    assert.ok(flow.url, `no redirect to the client: ${flow.status} ${flow.body}`);
    const oidc = await tokenRequest(new Client(base), {
      grant_type: 'authorization_code',
      code: flow.params?.get('code') ?? '',
      redirect_uri: flow.redirectUri,
      code_verifier: flow.verifier,
    });
    assert.equal(oidc.status, 200, JSON.stringify(oidc.body));

    const credentials = {
      session: { cookie: browser.cookieHeader() },
      jwt: bearer(rotated.body.access_token),
      oidc: bearer(oidc.body.access_token),
    };
    const written = new Map<string, string[]>();
    for (const [mode, headers] of Object.entries(credentials)) {
      for (const text of [`${mode} 1`, `${mode} 2`]) {
        const note = await new Client(base).json('/api/notes', { method: 'POST', json: { text }, headers });
        assert.equal(note.status, 201);
        written.set(mode, [...(written.get(mode) ?? []), note.body.id]);
      }
    }

    // No SIGTERM, no graceful close: the acknowledged writes are all the server had time for.
    await kill9(first);
    second = await startServerProcess(env);
    assert.doesNotMatch(second.stdout(), /alice@example\.com/, 'nothing was seeded again');

    const me = await new Client(second.url).json('/session/me', { headers: credentials.session });
    assert.equal(me.status, 200, 'the session cookie from before the crash is refused');
    assert.equal(me.body.user.email, 'alice@example.com');

    // The access tokens of before still verify (same keys), and the families/grants still refresh.
    for (const [mode, headers] of Object.entries(credentials)) {
      const apiMe = await new Client(second.url).json('/api/me', { headers });
      assert.equal(apiMe.status, 200, `${mode}: ${JSON.stringify(apiMe.body)}`);
      assert.equal(apiMe.body.mode, mode);
    }
    for (const [mode, headers] of Object.entries(credentials)) {
      const notes = await new Client(second.url).json('/api/notes', { headers });
      assert.deepEqual(
        notes.body.notes.map((n: { id: string }) => n.id).sort(),
        [...(written.get(mode) ?? [])].sort(),
        `${mode}: an acknowledged note was lost`,
      );
    }

    const jwtAfter = await new Client(second.url).json('/jwt/refresh', {
      method: 'POST',
      json: { refresh_token: rotated.body.refresh_token },
    });
    assert.equal(jwtAfter.status, 200, `the JWT refresh family is gone: ${JSON.stringify(jwtAfter.body)}`);
    const devices = await new Client(second.url).json('/jwt/devices', { headers: bearer(jwtAfter.body.access_token) });
    assert.deepEqual(
      devices.body.devices.map((d: { name: string; current: boolean }) => [d.name, d.current]),
      [['before the crash', true]],
    );
    // The family still remembers its rotated token: replaying it is caught after the restart too.
    const replay = await new Client(second.url).json('/jwt/refresh', {
      method: 'POST',
      json: { refresh_token: jwtLogin.body.refresh_token },
    });
    assert.equal(replay.body.error, 'invalid_grant');

    const oidcAfter = await tokenRequest(new Client(second.url), {
      grant_type: 'refresh_token',
      refresh_token: oidc.body.refresh_token,
    });
    assert.equal(oidcAfter.status, 200, `the OIDC grant is gone: ${JSON.stringify(oidcAfter.body)}`);
    const oidcMe = await new Client(second.url).json('/api/me', { headers: bearer(oidcAfter.body.access_token) });
    assert.equal(oidcMe.body.email, 'admin@example.com');
  });
});

describe('a DATA_DIR that holds data but lost or damaged a key file', () => {
  let populated: string;
  const copies: string[] = [];

  before(async () => {
    populated = mkdtempSync(join(tmpdir(), 'authlab-fault-keys-'));
    const port = await freePort();
    const server = await startServerProcess({ DATA_DIR: populated, PORT: String(port) });
    const login = await new Client(server.url).login();
    assert.equal(login.status, 200);
    server.child.kill('SIGTERM');
    assert.equal((await server.waitForExit()).code, 0);
  });

  after(() => {
    for (const dir of [populated, ...copies]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** A copy of the populated DATA_DIR for one test to break. */
  const copy = () => {
    const dir = mkdtempSync(join(tmpdir(), 'authlab-fault-keys-copy-'));
    cpSync(populated, dir, { recursive: true });
    copies.push(dir);
    return dir;
  };

  /** Starts on `dataDir` and expects a refusal: non-zero exit, one stderr line naming `file`, no key written. */
  async function expectRefusal(dataDir: string, file: string, reason: RegExp): Promise<void> {
    const before = secretsSnapshot(dataDir);
    const server = spawnServer({ DATA_DIR: dataDir, PORT: String(await freePort()) });
    const exit = await server.waitForExit();
    assert.notEqual(exit.code, 0, `it started\nstdout: ${server.stdout()}`);
    assert.equal(exit.signal, null);
    const stderr = server.stderr().trimEnd();
    assert.ok(stderr.startsWith('authlab: '), stderr);
    assert.ok(stderr.includes(file), `the message does not name ${file}: ${stderr}`);
    assert.match(stderr, reason);
    assert.doesNotMatch(stderr, STACK_FRAME);
    assert.doesNotMatch(server.stdout(), /listening/);
    assert.deepEqual(secretsSnapshot(dataDir), before, 'a key file was written or changed');
  }

  for (const name of ['jwt-keys.json', 'oidc-keys.json', 'oidc-web-client-secret']) {
    it(`refuses to start, naming secrets/${name}, when it is missing (and writes no new one)`, async () => {
      const dataDir = copy();
      const file = join(dataDir, 'secrets', name);
      unlinkSync(file);
      await expectRefusal(dataDir, file, /missing/);
      assert.equal(existsSync(file), false, 'a new key file was minted');
    });

    it(`refuses to start, naming secrets/${name}, when it is corrupt (and leaves it as it is)`, async () => {
      const dataDir = copy();
      const file = join(dataDir, 'secrets', name);
      writeFileSync(file, name.endsWith('.json') ? '{"version":1,"keys":[{"kid":"x"}' : 'not a secret!\n', {
        mode: 0o600,
      });
      await expectRefusal(dataDir, file, /corrupt/);
    });
  }
});
