/**
 * `pnpm -C apps/desktop dist`: builds the app and packages it with electron-builder for this
 * platform (Linux: AppImage and deb; macOS: dmg; Windows: nsis) into `release/`, with the fuses
 * flipped (see packaging.ts). Needs Electron's binary: without one it exits 1 with the same one
 * sentence as `pnpm desktop`.
 */
import { APP_DIR, buildDesktop } from './build.ts';
import { electronForScript } from './electron-binary.ts';
import { builderConfig } from './packaging.ts';

async function main(): Promise<number> {
  const electron = await electronForScript();
  if (!electron) return 1;
  await buildDesktop({ minify: true });
  const { build } = await import('electron-builder');
  const artifacts = await build({
    projectDir: APP_DIR,
    config: builderConfig({ electronDist: electron.distDir }),
    publish: 'never',
  });
  process.stdout.write(`${artifacts.join('\n')}\n`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`pnpm dist failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
