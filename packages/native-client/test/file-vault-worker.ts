/**
 * A separate process for file-vault-lock.test.ts, so that the lock is tried across real processes.
 * It prints `ready`, then waits for its stdin to close (the "go" of the test) before it starts:
 *
 *   node file-vault-worker.ts count <file> <account> <m>   m read-modify-write increments of <account>
 *   node file-vault-worker.ts hold <file>                  takes <file>.lock as the vault would, then
 *                                                          prints `locked` and waits to be killed
 */
import { once } from 'node:events';
import { acquireFileLock } from '../src/vaults/file-lock.ts';
import { FileVault } from '../src/vaults/file-vault.ts';

const [mode, file = '', account = '', count = '0'] = process.argv.slice(2);
// The modes of the files must not depend on the umask this process happens to have.
process.umask(0o000);

if (mode === 'hold') {
  await acquireFileLock(`${file}.lock`);
  process.stdout.write('locked\n');
  setInterval(() => {}, 60_000); // until SIGKILL: a crash in the middle of a change
} else if (mode === 'count') {
  const vault = new FileVault({ file, acknowledgeUnprotected: true });
  process.stdout.write('ready\n');
  process.stdin.resume();
  await once(process.stdin, 'end');
  for (let i = 0; i < Number(count); i++) {
    const current = Number((await vault.get(account)) ?? '0');
    await vault.set(account, String(current + 1));
  }
} else {
  throw new Error(`unknown mode ${mode}`);
}
