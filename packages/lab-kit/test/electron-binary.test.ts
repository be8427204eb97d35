/**
 * `pnpm lab doctor --workshop` and Electron's binary: found, fetched with Electron's own installer
 * (run for real, against a mirror on this machine), or missing with what to do. The tests use a
 * copy of the `electron` package's installer files in a folder of their own, so the real package
 * is never changed, and never load `electron` itself.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, afterEach, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { cachedZipPath, electronPackage, explainInstallFailure, zipName } from '../src/electron-binary.ts';
import { REPO_ROOT } from '../src/labs.ts';
import { electronItem } from '../src/workshop-doctor.ts';
import { storedZip } from './support/stored-zip.ts';

const real = electronPackage(REPO_ROOT);
if (!real) throw new Error('the electron package is not installed: pnpm install');
const { version } = real;
const ZIP = zipName(version);
const BINARY = process.platform === 'win32' ? 'electron.exe' : 'electron';

const folders: string[] = [];
after(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

/**
 * A repository root whose `apps/desktop/node_modules/electron` holds the real installer files
 * (install.js, package.json, checksums.json) and finds the real @electron/get beside it.
 */
function fakeRoot(): { root: string; electronDir: string; cache: string } {
  const root = mkdtempSync(join(tmpdir(), 'authlab-electron-test-'));
  folders.push(root);
  const modules = join(root, 'apps/desktop/node_modules');
  const electronDir = join(modules, 'electron');
  mkdirSync(electronDir, { recursive: true });
  for (const file of ['install.js', 'package.json', 'checksums.json']) {
    copyFileSync(join(real?.dir as string, file), join(electronDir, file));
  }
  // pnpm puts a package's dependencies beside it: link the same ones here.
  for (const dependency of ['@electron/get', '@electron-internal/extract-zip']) {
    mkdirSync(dirname(join(modules, dependency)), { recursive: true });
    symlinkSync(realpathSync(join(real?.dir as string, '..', dependency)), join(modules, dependency), 'junction');
  }
  return { root, electronDir, cache: join(root, 'electron-cache') };
}

/** An installed Electron binary in `electronDir`, its `dist/version` saying `versionText`. */
function placeBinary(electronDir: string, versionText: string): void {
  mkdirSync(join(electronDir, 'dist'));
  writeFileSync(join(electronDir, 'dist', BINARY), 'a binary');
  writeFileSync(join(electronDir, 'dist', 'version'), versionText);
  writeFileSync(join(electronDir, 'path.txt'), BINARY);
}

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

/** The mirrors of the running test, closed after it (afterEach below). */
const openMirrors: Array<() => void> = [];
afterEach(() => {
  for (const close of openMirrors.splice(0)) close();
});

/** A download mirror on 127.0.0.1 that records the paths asked for; closed after the test. */
async function mirror(handler: Handler): Promise<{ url: string; paths: string[]; close(): void }> {
  const paths: string[] = [];
  const server = createServer((request, response) => {
    paths.push(request.url ?? '');
    handler(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const close = () => {
    if (!server.listening) return;
    server.closeAllConnections();
    server.close();
  };
  openMirrors.push(close);
  return { url: `http://127.0.0.1:${port}/`, paths, close };
}

/** The environment of a participant whose mirror and cache are these (no npm_config_electron_* leaking in). */
function envWith(values: Record<string, string>): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of Object.keys(env)) if (/^(npm_config_electron|electron_|ELECTRON_)/i.test(key)) delete env[key];
  return { ...env, ...values };
}

/** A stand-in Electron release: a zip with an executable, and a SHASUMS256.txt naming it. */
function fakeRelease() {
  const zip = storedZip({
    [BINARY]: { data: '#!/bin/sh\necho fake electron\n', mode: 0o755 },
    version: { data: `v${version}` },
  });
  const shasums = `${createHash('sha256').update(zip).digest('hex')} *${ZIP}\n`;
  return { zip, shasums };
}

/**
 * A mirror with the stand-in release's SHASUMS256.txt (and its zip, `withZip`), and the environment
 * that checks the zip against those sums rather than Electron's real ones.
 */
async function releaseMirror(cache: string, { withZip }: { withZip: boolean }) {
  const release = fakeRelease();
  const server = await mirror((request, response) => {
    if (withZip && request.url === `/v${version}/${ZIP}`) return void response.writeHead(200).end(release.zip);
    if (request.url === `/v${version}/SHASUMS256.txt`) return void response.writeHead(200).end(release.shasums);
    response.writeHead(404).end();
  });
  const env = envWith({
    ELECTRON_MIRROR: server.url,
    electron_config_cache: cache,
    electron_use_remote_checksums: '1',
  });
  return { server, env, release };
}

describe("the doctor and Electron's binary", () => {
  test('a binary already in place is reported with its path, and nothing is downloaded', async () => {
    const { root, electronDir, cache } = fakeRoot();
    placeBinary(electronDir, `v${version}`);
    const server = await mirror((_, response) => response.writeHead(404).end());
    const item = await electronItem({
      root,
      env: envWith({ ELECTRON_MIRROR: server.url, electron_config_cache: cache }),
    });
    assert.equal(item.ok, true);
    assert.equal(item.detail, `${version} at ${join(electronDir, 'dist', BINARY)}`);
    assert.deepEqual(server.paths, [], 'no download was tried');
  });

  test('a binary of another version counts as missing', async () => {
    const { root, electronDir, cache } = fakeRoot();
    placeBinary(electronDir, 'v1.0.0');
    const server = await mirror((_, response) => response.writeHead(404).end());
    const item = await electronItem({
      root,
      env: envWith({ ELECTRON_MIRROR: server.url, electron_config_cache: cache }),
    });
    assert.equal(item.ok, false);
    assert.deepEqual(server.paths, [`/v${version}/${ZIP}`], "Electron's installer asked the mirror for this version");
  });

  test('a mirror without the file: the item names the zip, the address and HTTP 404, and the three ways out', async () => {
    const { root, cache } = fakeRoot();
    const server = await mirror((_, response) => response.writeHead(404).end('Not Found'));
    const env = envWith({ ELECTRON_MIRROR: server.url, electron_config_cache: cache });
    const item = await electronItem({ root, env });
    assert.equal(item.ok, false);
    assert.equal(item.optional, undefined, 'the desktop app needs it: not optional');
    assert.equal(
      item.detail,
      `${ZIP} (for pnpm desktop) is missing and could not be fetched from ${server.url}v${version}/${ZIP}: the download server answered HTTP 404 (no such file there)`,
    );
    assert.match(item.fix ?? '', /on a network that reaches that address/);
    assert.match(item.fix ?? '', /ELECTRON_MIRROR=https:\/\/npmmirror\.com\/mirrors\/electron\//);
    assert.ok(item.fix?.includes(`copy that zip from a laptop that has it to ${cachedZipPath(version, env)}`));
    assert.equal(existsSync(join(root, 'apps/desktop/node_modules/electron/dist')), false, 'nothing was unpacked');
  });

  test('a mirror that is not a URL gets a ✗ saying how to name one, not a crash of the whole doctor', async () => {
    const { root, cache } = fakeRoot();
    const item = await electronItem({
      root,
      env: envWith({ ELECTRON_MIRROR: 'npmmirror.com/mirrors/electron/', electron_config_cache: cache }),
    });
    assert.equal(item.ok, false);
    assert.match(item.detail ?? '', /ELECTRON_MIRROR does not make a URL: npmmirror\.com\/mirrors\/electron\//);
    assert.match(item.fix ?? '', /a full URL ending in \//);
  });

  test('a mirror named with a user and password prints without them', async () => {
    const { root, cache } = fakeRoot();
    const server = await mirror((_, response) => response.writeHead(404).end('Not Found'));
    const withSecret = server.url.replace('http://', 'http://workshop:s3cret-pass@');
    const item = await electronItem({
      root,
      env: envWith({ ELECTRON_MIRROR: withSecret, electron_config_cache: cache }),
    });
    assert.equal(item.ok, false);
    assert.ok(!`${item.detail} ${item.fix}`.includes('s3cret-pass'), item.detail);
    assert.ok(item.detail.includes(`${server.url.replace('http://', 'http://…@')}v${version}/${ZIP}`), item.detail);
  });

  test('a zip that is not the real one is refused by its checksum, and the download was reported as it grew', async () => {
    const { root, cache } = fakeRoot();
    // 300 kB in three parts, a moment apart, so the growth is seen on the way.
    const server = await mirror(async (_, response) => {
      response.writeHead(200, { 'content-type': 'application/zip', 'content-length': String(3 * 100_000) });
      for (let part = 0; part < 3; part += 1) {
        response.write(Buffer.alloc(100_000, part));
        await sleep(300);
      }
      response.end();
    });
    const progress: number[] = [];
    const env = envWith({ ELECTRON_MIRROR: server.url, electron_config_cache: cache });
    const item = await electronItem({ root, env, pollMs: 50, onProgress: (bytes) => progress.push(bytes) });
    assert.equal(item.ok, false);
    assert.match(
      item.detail,
      /: the file downloaded is not the real one: its SHA-256 is not Electron's published one$/,
    );
    assert.ok(progress.length >= 2, `the download was reported as it grew (${progress.join(', ')})`);
    assert.ok(
      progress.some((bytes) => bytes > 0 && bytes < 300_000),
      'part-way figures were reported',
    );
  });

  test('no server at the address: the item says it could not be reached', async () => {
    const { root, cache } = fakeRoot();
    const server = await mirror(() => {});
    const closedUrl = server.url;
    server.close();
    const item = await electronItem({
      root,
      env: envWith({ ELECTRON_MIRROR: closedUrl, electron_config_cache: cache }),
    });
    assert.equal(item.ok, false);
    assert.match(item.detail, /: the download server could not be reached \(offline, a firewall, or a proxy\)$/);
  });

  test('a download that stalls is given up, and says so', async () => {
    const { root, cache } = fakeRoot();
    const server = await mirror((_, response) => {
      response.writeHead(200, { 'content-length': '1000000' });
      response.write(Buffer.alloc(1000));
    });
    const env = envWith({ ELECTRON_MIRROR: server.url, electron_config_cache: cache });
    const item = await electronItem({ root, env, pollMs: 50, stallMs: 1_000 });
    assert.equal(item.ok, false);
    assert.match(item.detail, /: nothing arrived for 1 s$/);
  });

  test("with the network there, Electron's installer fetches, checks and unpacks the binary", async () => {
    const { root, electronDir, cache } = fakeRoot();
    const { env } = await releaseMirror(cache, { withZip: true });
    const item = await electronItem({ root, env });
    assert.equal(item.ok, true, item.detail);
    assert.equal(item.detail, `${version} fetched now, at ${join(electronDir, 'dist', BINARY)}`);
    assert.equal(readFileSync(join(electronDir, 'path.txt'), 'utf8'), BINARY);
  });

  test('offline, a zip copied to the place the doctor names is used', async () => {
    const { root, electronDir, cache } = fakeRoot();
    const { server, env, release } = await releaseMirror(cache, { withZip: false });
    const named = cachedZipPath(version, env);
    mkdirSync(dirname(named), { recursive: true });
    writeFileSync(named, release.zip);
    const item = await electronItem({ root, env });
    assert.equal(item.ok, true, item.detail);
    assert.ok(existsSync(join(electronDir, 'dist', BINARY)));
    assert.ok(!server.paths.includes(`/v${version}/${ZIP}`), 'the zip was not downloaded: the copy was used');
  });
});

test('an installer failure nobody foresaw is passed on by its message', () => {
  assert.equal(
    explainInstallFailure("Error: EACCES: permission denied, mkdir '/x/dist'\n    at async …\n"),
    "the installer failed: Error: EACCES: permission denied, mkdir '/x/dist'",
  );
});
