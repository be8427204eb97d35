/**
 * The built app in real Electron, driven by Playwright's `_electron`: one window on the app's own
 * origin, the security checklist as Electron reports it, a sign-in, refused navigation and
 * windows, and the single-instance lock. (The window's webPreferences themselves are checked in
 * window-policy.test.ts; Electron has no API to read them back, so here they are checked by what
 * the page can and cannot reach.)
 *
 * Electron downloads its binary on first use; where none has been downloaded (no internet, as on
 * the machines this project is built on) this is the one suite that skips, saying so. The binary
 * is found by path only: `ELECTRON_OVERRIDE_DIST_PATH`, else `node_modules/electron/dist`.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { DEMO_PASSWORD, requireComponent, startServerProcess, which } from '@authlab/testkit';
import { _electron, type ElectronApplication, type Page } from 'playwright-core';
import { buildDesktop } from '../scripts/build.ts';
import { electronPackageDir, executableIn, findElectron } from '../scripts/electron-binary.ts';
import { CHANNELS } from '../src/core/api.ts';
import { panelOf, waitFor } from './support/window.ts';

const packageDir = electronPackageDir();
const electron = findElectron({ env: process.env, packageDir });
const lookedAt = join(
  process.env.ELECTRON_OVERRIDE_DIST_PATH || join(packageDir, 'dist'),
  executableIn(process.platform),
);
const SKIP_REASON =
  `no Electron binary at ${lookedAt} (Electron downloads it on first use, which needs internet: ` +
  'run `pnpm desktop` once online, or set ELECTRON_OVERRIDE_DIST_PATH to an unpacked Electron)';

/** A private X server where there is no display (CI, containers), reporting its number. */
async function startXvfb(): Promise<{ display: string; process: ChildProcess }> {
  const child = spawn('Xvfb', ['-displayfd', '1', '-screen', '0', '1440x900x24', '-nolisten', 'tcp'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const display = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n')) resolve(`:${out.trim()}`);
    });
    child.once('exit', (code) => reject(new Error(`Xvfb exited with ${code}`)));
  });
  return { display, process: child };
}

describe('the packaged app in Electron', () => {
  it('runs the packaged flow in Electron', { skip: electron ? false : SKIP_REASON }, async (t: TestContext) => {
    if (!electron) return;
    const needsDisplay = process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY;
    if (needsDisplay && !requireComponent(t, which('Xvfb') !== null, 'Xvfb', 'apt-get install xvfb')) return;

    const home = await mkdtemp(join(tmpdir(), 'authlab-electron-home-'));
    const outDir = await buildDesktop({ outDir: join(home, 'build') });
    const server = await startServerProcess();
    const xvfb = needsDisplay ? await startXvfb() : null;
    const env: Record<string, string> = {
      ...(process.env as Record<string, string>),
      // userData (appData/authlab-desktop) lands in this temporary home, never the person's own.
      HOME: home,
      XDG_CONFIG_HOME: join(home, '.config'),
      ...(xvfb ? { DISPLAY: xvfb.display } : {}),
    };
    delete env.ELECTRON_RUN_AS_NODE;
    const mainScript = join(outDir, 'main', 'main.cjs');
    const args = [
      mainScript,
      `--server=${server.url}`,
      // No key store in a test session: Chromium picks basic_text, which the app must refuse first.
      '--password-store=basic',
      // Chromium refuses to run as root with its OS sandbox (containers, CI).
      ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
    ];
    let app: ElectronApplication | null = null;
    try {
      app = await _electron.launch({ executablePath: electron.executable, args, env, timeout: 60_000 });
      const window: Page = await app.firstWindow();
      await window.getByRole('heading', { name: /OIDC/ }).waitFor();

      await t.test('shows the app’s own page; only the preload API crosses into it, no Node', async () => {
        assert.equal(window.url(), 'app://authlab/index.html');
        assert.deepEqual(
          await window.evaluate('[typeof require, typeof process, typeof module, typeof ipcRenderer, typeof Buffer]'),
          ['undefined', 'undefined', 'undefined', 'undefined', 'undefined'],
        );
        const api = (await window.evaluate('Object.keys(window.authlab).sort()')) as string[];
        assert.deepEqual(api, [...Object.keys(CHANNELS), 'onState'].sort());
      });

      await t.test('refuses basic_text until the warning is accepted, then signs in with JWT', async () => {
        assert.equal(await window.locator('#storage-backend').textContent(), 'basic_text');
        await window.getByRole('button', { name: /I understand the risk/ }).click();
        const jwt = panelOf(window, 'jwt');
        await jwt.signInWithForm('alice@example.com', DEMO_PASSWORD);
        await jwt.waitForWho(/Signed in as alice@example\.com/);
        await jwt.button('Call API').click();
        await waitFor(
          () => jwt.text('api-result'),
          (text) => text.includes('via mode "jwt"'),
          'the API call',
        );
      });

      await t.test('keeps the window on the app: no navigation away, no new windows', async () => {
        await window.evaluate("location.href = 'https://example.com/'");
        await window.evaluate("window.open('https://example.com/', '_blank')");
        await window.getByRole('heading', { name: /OIDC/ }).waitFor();
        assert.equal(window.url(), 'app://authlab/index.html');
        assert.equal(app?.windows().length, 1);
      });

      await t.test('a second launch focuses the first and exits', async () => {
        const second = spawn(electron.executable, args, { env, stdio: 'ignore' });
        const code = await new Promise<number | null>((resolve) => second.once('exit', resolve));
        assert.equal(code, 0);
        assert.equal(app?.windows().length, 1);
      });
    } finally {
      await app?.close();
      xvfb?.process.kill();
      await server.stop();
      await rm(home, { recursive: true, force: true });
    }
  });
});
