/**
 * `pnpm lab doctor`: what a participant's laptop has, what is missing and what to do about it.
 * Required: Node ≥ 22.18 (the version in `.node-version` is the one CI runs), the installed packages, a free loopback port, a writable progress file.
 * Chromium is required by the browser labs and `pnpm lab compare`; Redis is optional (started and
 * asked PING, as the suites start it).
 */
import { execFile } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { findChromium, type RedisServer, redisServerBinary, startRedisServer } from '@authlab/testkit';
import { labsRoot, listLabs, pinnedNodeVersion } from './labs.ts';
import { stateFile } from './state.ts';

const run = promisify(execFile);

export interface DoctorItem {
  name: string;
  ok: boolean;
  /** Optional components do not make the doctor fail. */
  optional?: boolean;
  detail: string;
  /** What to do when it is not ok. */
  fix?: string;
}

function nodeItem(): DoctorItem {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  const ok = major > 22 || (major === 22 && minor >= 18);
  const pinned = pinnedNodeVersion();
  const match =
    pinned === null ? '' : pinned === process.versions.node ? ' (the pinned version)' : ` (CI pins ${pinned})`;
  return {
    name: 'Node.js',
    ok,
    detail: `${process.versions.node} at ${process.execPath}${match}`,
    fix: `install Node ${pinned ?? '24 LTS'} (22.18 is the floor: it runs TypeScript without a build step)`,
  };
}

function packagesItem(): DoctorItem {
  const installed = existsSync(join(labsRoot(), 'node_modules', 'koa'));
  return {
    name: 'Packages',
    ok: installed,
    detail: installed ? 'installed' : 'labs/node_modules is missing',
    fix: 'run `pnpm install` once while online; afterwards everything works offline',
  };
}

async function portItem(): Promise<DoctorItem> {
  const port = await new Promise<number | string>((resolve) => {
    const server = createServer();
    server.once('error', (error) => resolve(error.message));
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 'no port'));
    });
  });
  return {
    name: 'Loopback port',
    ok: typeof port === 'number',
    detail: typeof port === 'number' ? `127.0.0.1:${port} can be opened` : `cannot listen on 127.0.0.1: ${port}`,
    fix: 'allow Node to listen on 127.0.0.1 (a firewall or a sandbox blocks it)',
  };
}

/** What `<binary> --version` prints (its first line), or a note that it did not answer. */
async function versionOf(binary: string): Promise<string> {
  try {
    return (await run(binary, ['--version'], { timeout: 10_000 })).stdout.trim().split('\n')[0] ?? '';
  } catch {
    return '(version unknown)';
  }
}

/** `labs 04, 05`: the labs whose manifest says they need `component`. */
function labsNeeding(component: 'chromium'): string {
  try {
    const ids = listLabs()
      .filter((lab) => lab.needs.includes(component))
      .map((lab) => lab.id.slice(0, 2));
    return ids.length > 0 ? `labs ${ids.join(', ')}` : 'no lab';
  } catch {
    return 'the browser labs';
  }
}

async function chromiumItem(): Promise<DoctorItem> {
  const path = findChromium();
  return {
    name: 'Chromium',
    ok: path !== null,
    detail: path
      ? `${await versionOf(path)} at ${path}`
      : `not found; ${labsNeeding('chromium')} and \`pnpm lab compare\` need it`,
    fix: 'apt-get install chromium (Debian/Ubuntu), or set CHROMIUM_PATH to an installed Chrome or Chromium',
  };
}

/**
 * Redis as the suites use it (and `REDIS_URL` for the scale-out store): a private redis-server is
 * started on a free loopback port (testkit's start waits for +PONG to PING), and stopped. Found but not starting is reported too.
 */
export async function redisItem(binary = redisServerBinary()): Promise<DoctorItem> {
  if (!binary) {
    return {
      name: 'Redis',
      ok: false,
      optional: true,
      detail: 'not found; no lab needs it (the main server can use it for shared state)',
      fix: 'apt-get install redis-server (optional)',
    };
  }
  const version = `${(await versionOf(binary)).split(' ').slice(0, 3).join(' ')} at ${binary}`;
  let server: RedisServer | undefined;
  try {
    server = await startRedisServer({ binary });
    return {
      name: 'Redis',
      ok: true,
      optional: true,
      detail: `${version}: started on 127.0.0.1:${server.port}, answered PING`,
    };
  } catch (error) {
    return {
      name: 'Redis',
      ok: false,
      optional: true,
      detail: `${version} did not run: ${(error as Error).message}`,
      fix: `start it by hand to see why: ${binary} --port 6399 (optional: only REDIS_URL and the Redis tests need it)`,
    };
  } finally {
    await server?.stop();
  }
}

function stateItem(): DoctorItem {
  const file = stateFile();
  let ok = true;
  try {
    accessSync(existsSync(file) ? file : dirname(file), constants.W_OK);
  } catch {
    ok = false;
  }
  return {
    name: 'Progress file',
    ok,
    detail: ok ? `${file} is writable` : `${file} is not writable`,
    fix: 'make the repository folder writable, or set AUTHLAB_LAB_STATE to a writable file',
  };
}

function labsItem(): DoctorItem {
  try {
    const labs = listLabs();
    return { name: 'Labs', ok: labs.length > 0, detail: `${labs.length} labs in ${labsRoot()}` };
  } catch (error) {
    return {
      name: 'Labs',
      ok: false,
      detail: (error as Error).message,
      fix: 'restore the lab folder from the repository (git checkout -- labs)',
    };
  }
}

export async function doctor(): Promise<DoctorItem[]> {
  return [
    nodeItem(),
    packagesItem(),
    await portItem(),
    await chromiumItem(),
    await redisItem(),
    stateItem(),
    labsItem(),
  ];
}

export function formatDoctor(items: DoctorItem[]): string {
  const width = Math.max(...items.map((item) => item.name.length));
  return items
    .map((item) => {
      const mark = item.ok ? '✓' : item.optional ? '–' : '✗';
      const line = `${mark} ${item.name.padEnd(width)}  ${item.detail}`;
      return item.ok || !item.fix ? line : `${line}\n  ${' '.repeat(width)}  → ${item.fix}`;
    })
    .join('\n');
}
