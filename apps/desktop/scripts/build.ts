/**
 * `pnpm -C apps/desktop build`: bundles the three processes with esbuild into `dist/`:
 *
 *   dist/main/main.cjs        the main process (CommonJS, Electron's Node; `electron` external)
 *   dist/preload/preload.cjs  the preload script (CommonJS, as sandboxed preloads must be)
 *   dist/renderer/            index.html, styles.css, renderer.js (an IIFE for the browser), icon.png
 */
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SEQUENCE_CSS } from '@authlab/sequence';
import { build, type Plugin } from 'esbuild';

export const APP_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Modules of the native client the desktop app never uses (the OS key-store vault and the
 * `open` browser opener: the app has safeStorage and shell.openExternal). Stubbed, so the bundle
 * needs no native addon and no helper scripts next to it.
 */
const UNUSED = /^(@napi-rs\/keyring|open)$/;
const stubUnused: Plugin = {
  name: 'stub-unused',
  setup(context) {
    context.onResolve({ filter: UNUSED }, (args) => ({ path: args.path, namespace: 'unused' }));
    context.onLoad({ filter: /.*/, namespace: 'unused' }, (args) => ({
      contents: `export default function unavailable() { throw new Error(${JSON.stringify(`${args.path} is not part of the desktop app`)}); }`,
      loader: 'js',
    }));
  },
};

export interface BuildOptions {
  /** Default `apps/desktop/dist`. */
  outDir?: string;
  minify?: boolean;
}

/** Builds the app into `outDir` (emptied first) and returns that folder. */
export async function buildDesktop(options: BuildOptions = {}): Promise<string> {
  const outDir = options.outDir ?? join(APP_DIR, 'dist');
  const src = join(APP_DIR, 'src');
  await rm(outDir, { recursive: true, force: true });
  const common = {
    bundle: true,
    minify: options.minify ?? false,
    sourcemap: 'linked',
    logLevel: 'warning',
    legalComments: 'none',
  } as const;
  await Promise.all([
    build({
      ...common,
      entryPoints: [join(src, 'main', 'main.ts')],
      outfile: join(outDir, 'main', 'main.cjs'),
      platform: 'node',
      format: 'cjs',
      target: 'node22',
      external: ['electron'],
      plugins: [stubUnused],
    }),
    build({
      ...common,
      entryPoints: [join(src, 'preload', 'preload.ts')],
      outfile: join(outDir, 'preload', 'preload.cjs'),
      platform: 'node',
      format: 'cjs',
      target: 'node22',
      external: ['electron'],
    }),
    build({
      ...common,
      entryPoints: [join(src, 'renderer', 'renderer.ts')],
      outfile: join(outDir, 'renderer', 'renderer.js'),
      platform: 'browser',
      format: 'iife',
      target: 'chrome120',
    }),
  ]);
  await mkdir(join(outDir, 'renderer'), { recursive: true });
  await copyFile(join(src, 'renderer', 'index.html'), join(outDir, 'renderer', 'index.html'));
  // The sequence diagrams go inline into the page, whose CSP allows no inline style: their palette
  // joins the page's stylesheet, from the one copy in @authlab/sequence.
  const styles = await readFile(join(src, 'renderer', 'styles.css'), 'utf8');
  await writeFile(join(outDir, 'renderer', 'styles.css'), `${styles}\n/* @authlab/sequence */\n${SEQUENCE_CSS}\n`);
  // The favicon and the window icon on Linux (packaged apps take theirs from the package).
  await copyFile(join(APP_DIR, 'build', 'icon.png'), join(outDir, 'renderer', 'icon.png'));
  return outDir;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const outDir = await buildDesktop();
  process.stdout.write(`built ${outDir}\n`);
}
