import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, beforeEach, describe, it } from 'node:test';
import { redisServerBinary, requireComponent, startRedisServer } from '@authlab/testkit';
import { runCli, tableRows } from './support/cli.ts';
import { Client, DEMO_PASSWORD, startTestServer } from './support/server.ts';

const PASSWORD = 'a-long-enough-password';

describe('pnpm users', () => {
  let dir: string;
  let env: { DATA_DIR: string; AUTHLAB_NEW_PASSWORD: string };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'authlab-cli-'));
    env = { DATA_DIR: join(dir, 'data'), AUTHLAB_NEW_PASSWORD: PASSWORD };
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('adds an account that list then shows, with role user unless told', async () => {
    const added = await runCli('users', ['add', 'Carol@Example.com'], env);
    assert.equal(added.code, 0, added.stderr);
    assert.match(added.stdout, /added carol@example\.com \(role user\)/);
    const admin = await runCli('users', ['add', 'dave@example.com', '--role', 'admin'], env);
    assert.equal(admin.code, 0, admin.stderr);

    const list = await runCli('users', ['list'], env);
    assert.equal(list.code, 0, list.stderr);
    const rows = tableRows(list.stdout);
    assert.deepEqual(rows[0], ['email', 'role', 'disabled', 'created']);
    assert.deepEqual(rows[1]?.slice(0, 3), ['carol@example.com', 'user', 'no']);
    assert.deepEqual(rows[2]?.slice(0, 3), ['dave@example.com', 'admin', 'no']);
    assert.ok(!Number.isNaN(Date.parse(rows[1]?.[3] ?? '')), 'created is a date');
    assert.ok(!list.stdout.includes(PASSWORD));
  });

  it('creates an account the server signs in with the given password', async () => {
    assert.equal((await runCli('users', ['add', 'erin@example.com'], env)).code, 0);
    const server = await startTestServer({ dataDir: env.DATA_DIR });
    try {
      const login = await new Client(server.url).login('erin@example.com', PASSWORD);
      assert.equal(login.status, 200);
      assert.equal(login.body.user.role, 'user');
    } finally {
      await server.stop();
    }
  });

  it('changes a role with set-role and refuses a role that does not exist', async () => {
    assert.equal((await runCli('users', ['add', 'carol@example.com'], env)).code, 0);
    const changed = await runCli('users', ['set-role', 'carol@example.com', 'admin'], env);
    assert.equal(changed.code, 0, changed.stderr);
    assert.deepEqual(tableRows((await runCli('users', ['list'], env)).stdout)[1]?.slice(0, 2), [
      'carol@example.com',
      'admin',
    ]);

    const bad = await runCli('users', ['set-role', 'carol@example.com', 'root'], env);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /role must be user or admin/);
  });

  it('refuses a weak password with exit code 1 and creates nothing', async () => {
    const weak = await runCli('users', ['add', 'carol@example.com'], { ...env, AUTHLAB_NEW_PASSWORD: 'short' });
    assert.equal(weak.code, 1);
    assert.match(weak.stderr, /at least 12 characters/);
    assert.match((await runCli('users', ['list'], env)).stdout, /no accounts yet/);
  });

  it('asks for the password instead of reading it from argv, and fails without a terminal', async () => {
    const { AUTHLAB_NEW_PASSWORD: _, ...withoutPassword } = env;
    const noPassword = await runCli('users', ['add', 'carol@example.com'], withoutPassword);
    assert.equal(noPassword.code, 1);
    assert.match(noPassword.stderr, /AUTHLAB_NEW_PASSWORD/);

    const inArgv = await runCli('users', ['add', 'carol@example.com', PASSWORD], withoutPassword);
    assert.equal(inArgv.code, 1);
    assert.match(inArgv.stderr, /usage: pnpm users add <email>/);
  });

  it('refuses an email that is taken, and names the fix for one that is unknown', async () => {
    assert.equal((await runCli('users', ['add', 'carol@example.com'], env)).code, 0);
    const again = await runCli('users', ['add', 'CAROL@example.com'], env);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already exists/);

    const unknown = await runCli('users', ['disable', 'nobody@example.com'], env);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no account has the email nobody@example\.com.*pnpm users list/);
  });

  it('ends every session of a disabled account, for good even after enable', async () => {
    const server = await startTestServer({ dataDir: env.DATA_DIR });
    try {
      const browser = new Client(server.url);
      const laptop = new Client(server.url);
      assert.equal((await browser.login()).status, 200);
      assert.equal((await laptop.login()).status, 200);
      const alice = await server.deps.store.users.findByEmail('alice@example.com');
      assert.ok(alice);
      assert.equal((await server.deps.store.sessions.listByUser(alice.id)).length, 2);

      const disabled = await runCli('users', ['disable', 'alice@example.com'], env);
      assert.equal(disabled.code, 0, disabled.stderr);
      assert.deepEqual(await server.deps.store.sessions.listByUser(alice.id), []);
      assert.equal((await browser.json('/session/me')).status, 401);
      assert.equal((await new Client(server.url).login()).status, 401);

      // The sessions are gone, not merely refused while the flag is set.
      const enabled = await runCli('users', ['enable', 'alice@example.com'], env);
      assert.equal(enabled.code, 0, enabled.stderr);
      assert.equal((await laptop.json('/session/me')).status, 401);
      assert.equal((await new Client(server.url).login()).status, 200);
    } finally {
      await server.stop();
    }
  });

  it('changes a password and ends every session and JWT of the account at once', async () => {
    const server = await startTestServer({ dataDir: env.DATA_DIR });
    try {
      const browser = new Client(server.url);
      assert.equal((await browser.login()).status, 200);
      const jwt = await new Client(server.url).json('/jwt/login', {
        method: 'POST',
        json: { email: 'alice@example.com', password: DEMO_PASSWORD },
      });
      assert.equal(jwt.status, 200);
      const bearer = { authorization: `Bearer ${jwt.body.access_token}` };

      const changed = await runCli('users', ['set-password', 'alice@example.com'], env);
      assert.equal(changed.code, 0, changed.stderr);
      assert.equal((await browser.json('/session/me')).status, 401);
      assert.equal((await new Client(server.url).json('/api/me', { headers: bearer })).status, 401);
      const refreshed = await new Client(server.url).json('/jwt/refresh', {
        method: 'POST',
        json: { refresh_token: jwt.body.refresh_token },
      });
      assert.equal(refreshed.status, 401);
      assert.equal((await new Client(server.url).login()).status, 401, 'the old password no longer signs in');
      assert.equal((await new Client(server.url).login('alice@example.com', PASSWORD)).status, 200);
    } finally {
      await server.stop();
    }
  });

  it('prints the usage and exits 1 for an unknown or missing command, 0 for --help', async () => {
    const unknown = await runCli('users', ['frobnicate'], env);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /unknown command "frobnicate"/);
    assert.match(unknown.stderr, /usage: pnpm users <command>/);

    const missing = await runCli('users', [], env);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /usage: pnpm users <command>/);

    const help = await runCli('users', ['--help'], env);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /set-role <email> <user\|admin>/);
    assert.equal(existsSync(env.DATA_DIR), false, 'usage mistakes touch no store');
  });
});

describe('pnpm users on Redis', () => {
  let redis: Awaited<ReturnType<typeof startRedisServer>> | undefined;
  after(() => redis?.stop());

  it('edits the accounts in REDIS_URL and leaves DATA_DIR alone', async (t) => {
    if (!requireComponent(t, redisServerBinary() !== null, 'redis-server', 'apt-get install redis-server')) return;
    redis = await startRedisServer();
    const dir = mkdtempSync(join(tmpdir(), 'authlab-cli-'));
    try {
      const env = { DATA_DIR: join(dir, 'data'), REDIS_URL: redis.url, AUTHLAB_NEW_PASSWORD: PASSWORD };
      assert.equal((await runCli('users', ['add', 'carol@example.com', '--role', 'admin'], env)).code, 0);
      const list = await runCli('users', ['list'], env);
      assert.deepEqual(tableRows(list.stdout)[1]?.slice(0, 3), ['carol@example.com', 'admin', 'no']);
      assert.equal(existsSync(env.DATA_DIR), false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('pnpm secrets', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'authlab-cli-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('creates the secrets even in production, then refuses to overwrite them', async () => {
    const env = { DATA_DIR: join(dir, 'data'), NODE_ENV: 'production' };
    const first = await runCli('secrets', ['init'], env);
    assert.equal(first.code, 0, first.stderr);
    assert.ok(first.stdout.includes(`created ${join(env.DATA_DIR, 'secrets')}`), first.stdout);
    assert.match(first.stdout, /every instance/);
    assert.ok(existsSync(join(env.DATA_DIR, 'secrets', 'session-keys')));

    const second = await runCli('secrets', ['init'], env);
    assert.equal(second.code, 1);
    assert.match(second.stderr, /already exists; refusing to overwrite/);

    const check = await runCli('secrets', ['check'], env);
    assert.equal(check.code, 0, check.stderr);
    assert.match(check.stdout, /^ok: /);
  });

  it('check fails on a DATA_DIR without secrets, and writes none', async () => {
    const env = { DATA_DIR: join(dir, 'data') };
    const check = await runCli('secrets', ['check'], env);
    assert.equal(check.code, 1);
    assert.match(check.stderr, /pnpm secrets init/);
    assert.equal(existsSync(env.DATA_DIR), false);
  });

  it('prints the usage and exits 1 for an unknown command', async () => {
    const unknown = await runCli('secrets', ['rotate'], { DATA_DIR: join(dir, 'data') });
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /unknown command "rotate"/);
    assert.match(unknown.stderr, /usage: pnpm secrets <command>/);
  });
});
