/** `pnpm lab doctor --workshop`: each check says what it found and what to do about it. */
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { redisServerBinary, requireComponent } from '@authlab/testkit';
import { redisItem } from '../src/doctor.ts';
import { pinnedNodeVersion } from '../src/labs.ts';
import { keyStoreItem, pinnedNodeItem, serverPortItem } from '../src/workshop-doctor.ts';
import { labSandbox, runLabCli } from './support/cli.ts';

test('reads the pinned version from .node-version and compares as many parts as it names', () => {
  const root = mkdtempSync(join(tmpdir(), 'authlab-node-version-'));
  try {
    assert.equal(pinnedNodeVersion(root), null);
    writeFileSync(join(root, '.node-version'), 'v24.22.3\n');
    assert.equal(pinnedNodeVersion(root), '24.22.3');
  } finally {
    rmSync(root, { recursive: true });
  }
  assert.equal(pinnedNodeItem('24.22.3', '24.22.3').ok, true);
  assert.equal(pinnedNodeItem('24.23.0', '24').ok, true);
  const older = pinnedNodeItem('22.18.0', '24.22.3');
  assert.equal(older.ok, false);
  assert.match(older.detail, /22\.18\.0 runs, \.node-version pins 24\.22\.3/);
  assert.match(older.fix ?? '', /install Node 24\.22\.3/);
  assert.deepEqual(pinnedNodeItem('24.22.3', null).ok, true, 'no pin: nothing to compare');
});

test('names a taken server port and how to free it', async () => {
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = taken.address() as { port: number };
    const item = await serverPortItem(port);
    assert.equal(item.ok, false);
    assert.match(item.detail, new RegExp(`127\\.0\\.0\\.1:${port} is taken \\(EADDRINUSE\\)`));
  } finally {
    taken.close();
  }
});

test('without a Secret Service on Linux, points to the file vault; macOS and Windows always have a key store', () => {
  const linux = keyStoreItem('linux', {});
  assert.equal(linux.ok, false);
  assert.equal(linux.optional, true);
  assert.match(linux.fix ?? '', /AUTHLAB_VAULT=file/);
  assert.equal(keyStoreItem('darwin', {}).ok, true);
  assert.equal(keyStoreItem('win32', {}).ok, true);
});

test('Redis is started as the suites start it, on a free loopback port, and answers PING', async (t) => {
  const binary = redisServerBinary();
  if (!requireComponent(t, binary !== null, 'redis-server', 'apt-get install redis-server')) return;
  const item = await redisItem(binary);
  assert.equal(item.ok, true, item.detail);
  assert.match(item.detail, /: started on 127\.0\.0\.1:\d+, answered PING$/);
});

test('a redis-server that is there but does not run is reported, with how to see why', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'authlab-fake-redis-'));
  try {
    const broken = join(dir, 'redis-server');
    writeFileSync(broken, '#!/bin/sh\necho "Fatal error loading the DB" >&2\nexit 1\n');
    chmodSync(broken, 0o755);
    const item = await redisItem(broken);
    assert.equal(item.ok, false);
    assert.equal(item.optional, true, 'no lab needs Redis');
    assert.match(item.detail, /did not run: redis-server exited with code 1$/);
    assert.ok(item.fix?.includes(`${broken} --port 6399`));
  } finally {
    rmSync(dir, { recursive: true });
  }
});

/** A stand-in redis-server (a Node script) that answers each PING with the next of `answers`. */
function fakeRedis(dir: string, answers: string[]): string {
  const binary = join(dir, 'redis-server');
  writeFileSync(
    binary,
    `#!/usr/bin/env node
const answers = ${JSON.stringify(answers)};
const port = Number(process.argv[process.argv.indexOf('--port') + 1]);
let n = 0;
require('node:net').createServer((socket) => {
  socket.on('data', () => socket.end(answers[Math.min(n++, answers.length - 1)] + '\\r\\n'));
}).listen(port, '127.0.0.1');
`,
  );
  chmodSync(binary, 0o755);
  return binary;
}

test('a Redis still loading its data (-LOADING) is waited for; one that answers PING with anything else is reported', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'authlab-fake-redis-'));
  try {
    const loading = await redisItem(fakeRedis(dir, ['-LOADING Redis is loading the dataset in memory', '+PONG']));
    assert.equal(loading.ok, true, loading.detail);
    const strange = await redisItem(fakeRedis(dir, ['-ERR unknown command']));
    assert.equal(strange.ok, false);
    assert.match(strange.detail, /did not run: redis-server answered PING with "-ERR unknown command"$/);
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('pnpm lab doctor --workshop: an Electron download that fails is explained, and the other checks and the sign-ins still run', async () => {
  // A mirror that has nothing: Electron's installer (of the real package, which it leaves alone on
  // failure) is told 404; where the binary is already installed, nothing is asked at all.
  const mirror = createHttpServer((_, response) => response.writeHead(404).end());
  await new Promise<void>((resolve) => mirror.listen(0, '127.0.0.1', resolve));
  const cache = mkdtempSync(join(tmpdir(), 'authlab-electron-cache-'));
  const { port } = mirror.address() as { port: number };
  const sandbox = labSandbox({ ELECTRON_MIRROR: `http://127.0.0.1:${port}/`, electron_config_cache: cache });
  try {
    const { code, stdout, stderr } = await runLabCli(['doctor', '--workshop'], sandbox.env);
    assert.match(stderr, /Looking for Electron's binary/);
    assert.match(stderr, /Signing in once in each mode on a throwaway server/);
    assert.match(
      stdout,
      /(✓ Electron\s+\S+ at \/|✗ Electron\s+electron-v\S+\.zip \(for pnpm desktop\) is missing .*HTTP 404 .*\n.*→ run this again .*ELECTRON_MIRROR=)/,
    );
    for (const mode of ['session', 'jwt', 'oidc']) assert.match(stdout, new RegExp(`✓ Sign-in: ${mode}\\s`));
    assert.match(stdout, /[✓✗] Server port/, 'the checks before Electron ran too');
    assert.equal(code, stdout.includes('✗ ') ? 1 : 0, 'the exit code follows the items');
  } finally {
    sandbox.remove();
    mirror.close();
    rmSync(cache, { recursive: true, force: true });
  }
});
