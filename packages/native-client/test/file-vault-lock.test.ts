import assert from 'node:assert/strict';
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { once } from 'node:events';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { NativeAuthError } from '../src/types.ts';
import { acquireFileLock } from '../src/vaults/file-lock.ts';
import { FileVault } from '../src/vaults/index.ts';

const root = mkdtempSync(join(tmpdir(), 'authlab-vault-lock-'));
after(() => rmSync(root, { recursive: true, force: true }));
let homes = 0;
/** A fresh, existing directory for one vault. */
const freshHome = () => {
  const home = join(root, `home-${homes++}`);
  mkdirSync(home, { mode: 0o700 });
  return home;
};

const modeOf = (path: string) => statSync(path).mode & 0o777;
const worker = new URL('./file-vault-worker.ts', import.meta.url).pathname;
const entriesOf = (file: string) => JSON.parse(readFileSync(file, 'utf8')).entries as Record<string, string>;

/** A lock file as another process would have left it. */
function writeLock(file: string, record: { pid: number; createdAt: number }) {
  const lock = `${file}.lock`;
  writeFileSync(lock, JSON.stringify({ ...record, hostname: hostname(), token: 'someone-else' }), { mode: 0o600 });
  return lock;
}

/** A worker process, with its output collected; `line(text)` resolves once it has printed that line. */
function startWorker(args: string[]) {
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, [worker, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = once(child, 'exit').then(([code, signal]) => ({ code, signal, stderr: () => stderr }));
  const line = (text: string) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (stdout.split('\n').includes(text)) resolve();
      };
      child.stdout.on('data', check);
      check();
      exited.then(({ code, signal }) =>
        reject(new Error(`worker exited (${code ?? signal}) before "${text}": ${stderr}`)),
      );
    });
  return { child, line, exited };
}

const rejectsWith = (code: string, pattern: RegExp) => (error: unknown) => {
  assert.ok(error instanceof NativeAuthError, `expected NativeAuthError, got ${String(error)}`);
  assert.equal(error.code, code, error.message);
  assert.match(error.message, pattern);
  return true;
};

describe('FileVault across processes', () => {
  it('loses no change when N processes each do M read-modify-writes on the same file at once', async () => {
    const processes = 6;
    const increments = 20;
    const home = freshHome();
    const file = join(home, 'vault.json');
    const workers = Array.from({ length: processes }, (_, i) =>
      startWorker(['count', file, `account-${i}`, String(increments)]),
    );
    // All of them started (Node loaded, the vault open) before any of them begins: they overlap.
    await Promise.all(workers.map((w) => w.line('ready')));
    for (const w of workers) w.child.stdin.end();
    for (const { exited } of workers) {
      const { code, stderr } = await exited;
      assert.equal(code, 0, stderr());
    }

    // Each increment read the file and wrote all of it back: any two overlapping would lose one.
    const entries = entriesOf(file);
    assert.deepEqual(
      entries,
      Object.fromEntries(Array.from({ length: processes }, (_, i) => [`account-${i}`, String(increments)])),
    );
    const total = Object.values(entries).reduce((sum, value) => sum + Number(value), 0);
    assert.equal(total, processes * increments);
    assert.equal(modeOf(file), 0o600);
    assert.deepEqual(readdirSync(home), ['vault.json'], 'no lock, breaker or temporary file left behind');
  });

  it('takes over the lock of a process killed while it held it (its pid is dead)', async () => {
    const home = freshHome();
    const file = join(home, 'vault.json');
    const vault = new FileVault({ file, acknowledgeUnprotected: true });
    await vault.set('a', 'before');

    const holder = startWorker(['hold', file]);
    await holder.line('locked');
    const lock = `${file}.lock`;
    const record = JSON.parse(readFileSync(lock, 'utf8'));
    assert.equal(record.pid, holder.child.pid);
    assert.equal(record.hostname, hostname());
    assert.equal(typeof record.createdAt, 'number');
    assert.equal(modeOf(lock), 0o600);
    holder.child.kill('SIGKILL');
    await holder.exited;
    assert.ok(existsSync(lock), 'the dead process left its lock behind');

    // Fresh by age (default staleMs 10 s): only the dead pid lets it be taken over at once.
    await new FileVault({ file, acknowledgeUnprotected: true, lock: { staleMs: 600_000 } }).set('a', 'after');
    assert.deepEqual(entriesOf(file), { a: 'after' });
    assert.equal(modeOf(file), 0o600);
    assert.deepEqual(readdirSync(home), ['vault.json']);
  });

  it('takes over a lock older than lock.staleMs even though its pid is alive (reused, or stuck)', async () => {
    const home = freshHome();
    const file = join(home, 'vault.json');
    writeLock(file, { pid: process.pid, createdAt: Date.now() - 60 * 60_000 });
    await new FileVault({ file, acknowledgeUnprotected: true }).set('a', 'secret');
    assert.deepEqual(entriesOf(file), { a: 'secret' });
    assert.deepEqual(readdirSync(home), ['vault.json']);
  });

  it('waits for a live holder and changes nothing until it lets go', async () => {
    const home = freshHome();
    const file = join(home, 'vault.json');
    const vault = new FileVault({ file, acknowledgeUnprotected: true });
    await vault.set('a', 'one');
    const lock = writeLock(file, { pid: process.pid, createdAt: Date.now() });

    let settled = false;
    const write = vault.set('b', 'two').finally(() => {
      settled = true;
    });
    await sleep(300); // many backoff rounds: the lock is alive and fresh, so all of them wait
    assert.equal(settled, false);
    assert.deepEqual(entriesOf(file), { a: 'one' });
    // Another instance (this one queues its own operations behind the waiting set): reads take no lock.
    assert.equal(await new FileVault({ file, acknowledgeUnprotected: true }).get('a'), 'one');

    rmSync(lock); // the holder lets go
    await write;
    assert.deepEqual(entriesOf(file), { a: 'one', b: 'two' });
    assert.deepEqual(readdirSync(home), ['vault.json']);
  });

  it('gives up after lock.timeoutMs with vault_locked naming the holder, and leaves its lock alone', async () => {
    const home = freshHome();
    const file = join(home, 'vault.json');
    const lock = writeLock(file, { pid: process.pid, createdAt: Date.now() });
    const vault = new FileVault({ file, acknowledgeUnprotected: true, lock: { timeoutMs: 200 } });
    await assert.rejects(
      vault.set('a', 'secret'),
      rejectsWith('vault_locked', new RegExp(`process ${process.pid} on .*delete ${lock}`)),
    );
    assert.deepEqual(readdirSync(home), ['vault.json.lock']);
    assert.equal(JSON.parse(readFileSync(lock, 'utf8')).token, 'someone-else');
  });

  it('deletes an absent account without waiting for the lock', async () => {
    const home = freshHome();
    const file = join(home, 'vault.json');
    const vault = new FileVault({ file, acknowledgeUnprotected: true, lock: { timeoutMs: 200 } });
    writeLock(file, { pid: process.pid, createdAt: Date.now() });
    await vault.delete('never-set');
  });

  it('refuses lock options that are not positive durations', () => {
    for (const lock of [{ staleMs: 0 }, { timeoutMs: -1 }, { staleMs: Number.NaN }]) {
      assert.throws(
        () => new FileVault({ file: join(root, 'x.json'), acknowledgeUnprotected: true, lock }),
        RangeError,
      );
    }
  });
});

describe('acquireFileLock', () => {
  it('creates the lock exclusively, 0600, and removes it on release', async () => {
    const lockFile = join(freshHome(), 'vault.json.lock');
    const previous = process.umask(0o000);
    try {
      const lock = await acquireFileLock(lockFile);
      assert.equal(modeOf(lockFile), 0o600);
      assert.equal(await lock.isHeld(), true);
      await lock.release();
      assert.equal(existsSync(lockFile), false);
    } finally {
      process.umask(previous);
    }
  });

  it('a holder whose lock was taken over as stale knows it, and its release leaves the new lock alone', async () => {
    const lockFile = join(freshHome(), 'vault.json.lock');
    const first = await acquireFileLock(lockFile);
    await sleep(20); // older than the 1 ms below
    const second = await acquireFileLock(lockFile, { staleMs: 1 });
    assert.equal(await first.isHeld(), false);
    await first.release();
    assert.equal(await second.isHeld(), true);
    assert.ok(existsSync(lockFile));
    await second.release();
    assert.equal(existsSync(lockFile), false);
  });

  it('judges a lock still being written (no record yet) by its age only', async () => {
    const home = freshHome();
    const lockFile = join(home, 'vault.json.lock');
    writeFileSync(lockFile, '', { mode: 0o600 });
    await assert.rejects(acquireFileLock(lockFile, { timeoutMs: 100 }), rejectsWith('vault_locked', /another process/));
    await sleep(20);
    const lock = await acquireFileLock(lockFile, { staleMs: 1 });
    await lock.release();
    assert.deepEqual(readdirSync(home), []);
  });

  it('never probes a process group: a lock naming pid 0 or below is judged by its age only', async () => {
    const lockFile = join(freshHome(), 'vault.json.lock');
    for (const pid of [0, -1]) {
      writeFileSync(lockFile, JSON.stringify({ pid, hostname: hostname(), createdAt: Date.now(), token: 't' }));
      await assert.rejects(acquireFileLock(lockFile, { timeoutMs: 50 }), rejectsWith('vault_locked', /another/));
    }
  });
});
