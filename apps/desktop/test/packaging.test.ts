import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { FuseState, FuseV1Options, getCurrentFuseWire } from '@electron/fuses';
import type { AfterPackContext } from 'electron-builder';
import { APP_DIR } from '../scripts/build.ts';
import { APP_ID, builderConfig, flipFusesAfterPack, packagedExecutable } from '../scripts/packaging.ts';

/** The marker @electron/fuses looks for in an Electron binary, followed by the fuse wire. */
const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';

/** A stand-in Electron binary: some bytes, the sentinel, wire v1 with Electron's shipped defaults. */
function fakeElectronBinary(): Buffer {
  // RunAsNode, CookieEncryption, NodeOptions, CliInspect, AsarIntegrity, OnlyAsar, V8Snapshot, FileProtocol, WasmTrap
  const defaults = '101100011';
  return Buffer.concat([
    Buffer.from('\x7fELF not really electron '.repeat(100)),
    Buffer.from(SENTINEL),
    Buffer.from([1, defaults.length]),
    Buffer.from(defaults),
    Buffer.from(' trailing bytes'),
  ]);
}

const context = (appOutDir: string, electronPlatformName: string) =>
  ({
    appOutDir,
    electronPlatformName,
    arch: 1,
    packager: { appInfo: { productFilename: 'authlab' }, executableName: 'authlab' },
  }) as unknown as AfterPackContext;

describe('packaging', () => {
  it('packages AppImage and deb, dmg and nsis, under one app id with the generated icon', async () => {
    const config = builderConfig({ electronDist: '/opt/electron' });
    assert.equal(config.appId, APP_ID);
    assert.deepEqual(config.linux?.target, ['AppImage', 'deb']);
    assert.deepEqual(config.mac?.target, ['dmg']);
    assert.deepEqual(config.win?.target, ['nsis']);
    assert.equal(config.asar, true);
    assert.equal(config.electronDist, '/opt/electron');
    assert.equal(config.afterPack, flipFusesAfterPack);
    const icon = await readFile(join(APP_DIR, config.icon ?? ''));
    assert.equal(icon.subarray(1, 4).toString(), 'PNG');
    assert.ok(icon.readUInt32BE(16) >= 512 && icon.readUInt32BE(20) >= 512, 'at least 512×512');
  });

  it('finds the packaged binary where electron-builder puts it on each platform', () => {
    assert.equal(packagedExecutable(context('/out', 'linux')), '/out/authlab');
    assert.equal(packagedExecutable(context('/out', 'win32')), '/out/authlab.exe');
    assert.equal(packagedExecutable(context('/out', 'darwin')), '/out/authlab.app');
  });

  it('flips the fuses in the packaged binary after packing', async () => {
    const appOutDir = await mkdtemp(join(tmpdir(), 'authlab-packaged-'));
    try {
      const binary = join(appOutDir, 'authlab');
      await writeFile(binary, fakeElectronBinary());
      await flipFusesAfterPack(context(appOutDir, 'linux'));
      const wire = await getCurrentFuseWire(binary);
      const state = (option: FuseV1Options) => wire[option];
      assert.equal(state(FuseV1Options.RunAsNode), FuseState.DISABLE);
      assert.equal(state(FuseV1Options.EnableNodeOptionsEnvironmentVariable), FuseState.DISABLE);
      assert.equal(state(FuseV1Options.EnableNodeCliInspectArguments), FuseState.DISABLE);
      assert.equal(state(FuseV1Options.EnableCookieEncryption), FuseState.ENABLE);
      assert.equal(state(FuseV1Options.EnableEmbeddedAsarIntegrityValidation), FuseState.ENABLE);
      assert.equal(state(FuseV1Options.OnlyLoadAppFromAsar), FuseState.ENABLE);
      // The fuses this app does not decide are left as Electron shipped them.
      assert.equal(state(FuseV1Options.GrantFileProtocolExtraPrivileges), FuseState.ENABLE);
    } finally {
      await rm(appOutDir, { recursive: true, force: true });
    }
  });
});
