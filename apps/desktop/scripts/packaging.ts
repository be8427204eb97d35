/**
 * How `pnpm -C apps/desktop dist` packages the app: the electron-builder configuration and the
 * after-pack step that flips Electron's fuses in the packaged binary.
 */
import { join } from 'node:path';
import { type FuseConfig, FuseV1Options, FuseVersion, flipFuses } from '@electron/fuses';
import type { AfterPackContext, Configuration } from 'electron-builder';

export const APP_ID = 'dev.authlab.desktop';
export const PRODUCT_NAME = 'authlab';

/**
 * Electron's fuses, set at packaging time (they live in the binary, so no flag or environment
 * variable can turn them back at run time):
 *
 * - `RunAsNode` off: `ELECTRON_RUN_AS_NODE=1 authlab script.js` cannot turn the signed app into
 *   a general-purpose Node.
 * - `EnableNodeOptionsEnvironmentVariable` and `EnableNodeCliInspectArguments` off: no
 *   `NODE_OPTIONS=--require evil.js`, no `--inspect` debugger attached to the main process.
 * - `EnableCookieEncryption` on: the cookie store on disk is encrypted with the OS key store.
 * - `EnableEmbeddedAsarIntegrityValidation` and `OnlyLoadAppFromAsar` on: the app's code is
 *   loaded only from `app.asar`, checked against the hash embedded at packaging (macOS and
 *   Windows; Linux has no such check, see the README).
 */
export const FUSES = {
  version: FuseVersion.V1,
  [FuseV1Options.RunAsNode]: false,
  [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: false,
  [FuseV1Options.EnableNodeCliInspectArguments]: false,
  [FuseV1Options.EnableCookieEncryption]: true,
  [FuseV1Options.EnableEmbeddedAsarIntegrityValidation]: true,
  [FuseV1Options.OnlyLoadAppFromAsar]: true,
} satisfies FuseConfig;

/** The Electron binary inside a packaged app, per platform, as electron-builder lays it out. */
export function packagedExecutable(context: AfterPackContext): string {
  const { appOutDir, electronPlatformName, packager } = context;
  const name = packager.appInfo.productFilename;
  if (electronPlatformName === 'darwin' || electronPlatformName === 'mas') return join(appOutDir, `${name}.app`);
  if (electronPlatformName === 'win32') return join(appOutDir, `${name}.exe`);
  return join(appOutDir, (packager as unknown as { executableName: string }).executableName);
}

/** electron-builder's `afterPack`: before signing, so the signature covers the flipped fuses. */
export async function flipFusesAfterPack(context: AfterPackContext): Promise<void> {
  // Arch.arm64 is 3: flipping breaks the ad-hoc signature Apple Silicon needs, so re-sign ad hoc.
  const appleSilicon = context.electronPlatformName === 'darwin' && context.arch === 3;
  await flipFuses(packagedExecutable(context), { ...FUSES, resetAdHocDarwinSignature: appleSilicon });
}

/**
 * The electron-builder configuration. `electronDist` is the unpacked Electron found for this
 * machine (so packaging never downloads a second copy for the host platform).
 */
export function builderConfig(options: { electronDist?: string } = {}): Configuration {
  return {
    appId: APP_ID,
    productName: PRODUCT_NAME,
    executableName: PRODUCT_NAME,
    copyright: 'authlab contributors',
    directories: { output: 'release', buildResources: 'build' },
    // Everything the app runs is bundled into dist/ by esbuild: no node_modules in the package.
    files: ['dist/**/*', '!**/*.map', 'package.json'],
    asar: true,
    npmRebuild: false,
    nodeGypRebuild: false,
    ...(options.electronDist ? { electronDist: options.electronDist } : {}),
    icon: 'build/icon.png',
    linux: {
      target: ['AppImage', 'deb'],
      category: 'Development',
      maintainer: 'authlab contributors <authlab@example.invalid>',
      synopsis: 'Sign in with OIDC, JWT and server sessions, side by side',
    },
    mac: { target: ['dmg'], category: 'public.app-category.developer-tools', hardenedRuntime: true },
    win: { target: ['nsis'] },
    nsis: { oneClick: false, perMachine: false, allowToChangeInstallationDirectory: true },
    afterPack: flipFusesAfterPack,
  };
}
