import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  executableIn,
  findElectron,
  locateElectron,
  MISSING_ELECTRON,
  runElectronInstaller,
} from '../scripts/electron-binary.ts';

const SCRIPTS = new URL('../scripts/', import.meta.url).pathname;

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'authlab-electron-binary-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A folder laid out like an unpacked Electron, with a stand-in executable. */
async function fakeDist(name: string): Promise<string> {
  const distDir = join(dir, name);
  const executable = join(distDir, executableIn(process.platform));
  await mkdir(join(executable, '..'), { recursive: true });
  await writeFile(executable, '#!/bin/sh\n');
  await chmod(executable, 0o755);
  return distDir;
}

/** Runs a script as `pnpm desktop` would, in an environment with no Electron binary. */
function runWithoutElectron(script: string, extraEnv: Record<string, string> = {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      HOME: dir,
      // Set, so the scripts look there only and never start a download.
      ELECTRON_OVERRIDE_DIST_PATH: join(dir, 'no-electron-here'),
      ...extraEnv,
    };
    execFile(
      process.execPath,
      [join(SCRIPTS, script)],
      { env, timeout: 60_000, killSignal: 'SIGKILL' },
      (error, stdout, stderr) => {
        resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stdout, stderr });
      },
    );
  });
}

describe('finding Electron’s binary', () => {
  it('looks in ELECTRON_OVERRIDE_DIST_PATH when it is set, and only there', async () => {
    const override = await fakeDist('override');
    const packageDir = join(dir, 'package-with-dist');
    await fakeDist('package-with-dist/dist');
    assert.equal(
      findElectron({ env: { ELECTRON_OVERRIDE_DIST_PATH: override }, packageDir })?.executable,
      join(override, executableIn(process.platform)),
    );
    assert.equal(findElectron({ env: { ELECTRON_OVERRIDE_DIST_PATH: join(dir, 'empty') }, packageDir }), null);
    assert.equal(findElectron({ env: {}, packageDir })?.distDir, join(packageDir, 'dist'));
  });

  it('names the executable the way Electron’s installer does', () => {
    assert.equal(executableIn('linux'), 'electron');
    assert.equal(executableIn('win32'), 'electron.exe');
    assert.equal(executableIn('darwin'), 'Electron.app/Contents/MacOS/Electron');
  });

  it('tries one download where the binary is missing, and reports none when it fails', async () => {
    let downloads = 0;
    let told = 0;
    const found = await locateElectron({
      env: {},
      packageDir: join(dir, 'package-without-dist'),
      download: async () => {
        downloads++;
        return false;
      },
      onDownload: () => told++,
    });
    assert.equal(found, null);
    assert.deepEqual({ downloads, told }, { downloads: 1, told: 1 });
  });

  it('uses the binary a successful download unpacked', async () => {
    const packageDir = join(dir, 'package-downloading');
    const found = await locateElectron({
      env: {},
      packageDir,
      download: async () => {
        await fakeDist('package-downloading/dist');
        return true;
      },
    });
    assert.equal(found?.executable, join(packageDir, 'dist', executableIn(process.platform)));
  });

  it('never downloads when ELECTRON_OVERRIDE_DIST_PATH or ELECTRON_SKIP_BINARY_DOWNLOAD is set', async () => {
    const download = async () => assert.fail('no download may start');
    for (const env of [{ ELECTRON_OVERRIDE_DIST_PATH: join(dir, 'empty') }, { ELECTRON_SKIP_BINARY_DOWNLOAD: '1' }]) {
      assert.equal(await locateElectron({ env, packageDir: join(dir, 'nothing'), download }), null);
    }
  });

  it('stops an installer that hangs once its time is up', async () => {
    const packageDir = join(dir, 'hanging-installer');
    await mkdir(packageDir, { recursive: true });
    // An installer stuck on a network that never answers.
    await writeFile(join(packageDir, 'install.js'), 'setInterval(() => {}, 1000);\n');
    assert.equal(await runElectronInstaller(packageDir, { PATH: process.env.PATH }, 300), false);
  });

  it('reports a failing installer as no download', async () => {
    const packageDir = join(dir, 'failing-installer');
    await mkdir(packageDir, { recursive: true });
    await writeFile(
      join(packageDir, 'install.js'),
      "console.error(new Error('fetch failed').stack); process.exit(1);\n",
    );
    assert.equal(await runElectronInstaller(packageDir, { PATH: process.env.PATH }, 30_000), false);
  });
});

describe('pnpm desktop and pnpm dist without Electron', () => {
  for (const script of ['launch.ts', 'dist.ts']) {
    it(`${script} exits 1 with one sentence on how to get Electron, and no stack trace`, async () => {
      const { code, stdout, stderr } = await runWithoutElectron(script);
      assert.equal(code, 1);
      assert.equal(stderr, `${MISSING_ELECTRON}\n`);
      assert.equal(stdout, '');
      assert.match(MISSING_ELECTRON, /pnpm install && pnpm desktop/);
      assert.match(MISSING_ELECTRON, /ELECTRON_OVERRIDE_DIST_PATH/);
      assert.equal(MISSING_ELECTRON.split(/[.:] [A-Z]/).length, 1, 'one sentence');
    });
  }
});
