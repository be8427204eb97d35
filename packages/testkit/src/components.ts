import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

/**
 * Where a suite needs a real component (redis-server, Chromium) that is missing: in CI
 * (`CI=true`) the test fails, so a green run always means the real thing ran; on a developer's
 * machine it is skipped with the command that installs the component.
 */
export function requireComponent(t: TestContext, found: boolean, what: string, install: string): boolean {
  if (found) return true;
  const message = `${what} not found: ${install}`;
  if (process.env.CI === 'true' || process.env.CI === '1') {
    throw new Error(`${message} (CI requires it)`);
  }
  t.skip(message);
  return false;
}

export function which(command: string): string | null {
  try {
    const out = execFileSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' }).trim();
    return out || null;
  } catch {
    return null;
  }
}

/** The Chromium to drive: `CHROMIUM_PATH`, else the usual system locations. */
export function findChromium(): string | null {
  const candidates = [
    process.env.CHROMIUM_PATH,
    '/usr/bin/chromium',
    '/usr/bin/chromium-browser',
    '/usr/bin/google-chrome',
    '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
    '/Applications/Chromium.app/Contents/MacOS/Chromium',
    '/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge',
    // Windows: Chrome per machine or per user, and Edge, which every Windows 10/11 has.
    ...[process.env.PROGRAMFILES, process.env['PROGRAMFILES(X86)'], process.env.LOCALAPPDATA].flatMap((root) =>
      root
        ? [
            join(root, 'Google', 'Chrome', 'Application', 'chrome.exe'),
            join(root, 'Microsoft', 'Edge', 'Application', 'msedge.exe'),
          ]
        : [],
    ),
  ];
  for (const candidate of candidates) {
    if (candidate && existsSync(candidate)) return candidate;
  }
  return (
    which('chromium') ??
    which('chromium-browser') ??
    which('google-chrome') ??
    which('microsoft-edge-stable') ??
    which('microsoft-edge')
  );
}

/**
 * Flags for a quiet, deterministic system Chromium: no sandbox (containers, CI), no GPU, no
 * first-run UI, and no background traffic (updates, sync, QUIC) that would race a test or a lab.
 */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
];
