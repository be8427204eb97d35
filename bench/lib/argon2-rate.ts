import { createRequire } from 'node:module';
import { DEFAULT_ARGON2 } from '../../packages/auth-core/src/index.ts';

/** The part of node-argon2's API used here. */
interface Argon2 {
  argon2id: number;
  hash(
    password: string,
    options: { type: number; memoryCost: number; timeCost: number; parallelism: number },
  ): Promise<string>;
  verify(hash: string, password: string): Promise<boolean>;
}

// argon2 is auth-core's dependency: resolve the very copy (and native build) the server uses.
const argon2 = createRequire(new URL('../../packages/auth-core/package.json', import.meta.url))('argon2') as Argon2;

/**
 * Raw argon2id verifications per second at the server's parameters (DEFAULT_ARGON2, what the
 * bench server runs with). argon2 runs on libuv's thread pool, so `concurrency` defaults to the
 * pool's size: as many hashes in flight as a server under a login burst can have.
 */
export async function argon2VerifiesPerSec(
  durationSec: number,
  concurrency = Number(process.env.UV_THREADPOOL_SIZE ?? 4),
): Promise<number> {
  const password = 'correct-horse-battery-staple';
  const hash = await argon2.hash(password, { type: argon2.argon2id, ...DEFAULT_ARGON2 });
  // One untimed round: the first call pays for allocating the thread pool's memory.
  await Promise.all(Array.from({ length: concurrency }, () => argon2.verify(hash, password)));
  let done = 0;
  const started = performance.now();
  const deadline = started + durationSec * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        if (!(await argon2.verify(hash, password))) throw new Error('argon2 verify failed');
        done++;
      }
    }),
  );
  return done / ((performance.now() - started) / 1000);
}
