import { Worker } from 'node:worker_threads';
import type { CompareReply, CompareRequest } from './worker.ts';

const WORKER_URL = new URL('./worker.ts', import.meta.url);

interface Slot {
  worker: Worker;
  pending: Map<number, (ok: boolean) => void>;
}

/**
 * bcrypt comparisons on worker threads, so verifying a legacy hash never blocks the event loop
 * (bcryptjs is pure JavaScript). Workers start on first use, hold the process open only while
 * they have work, and a crashed one fails its comparisons (never a sign-in) and is replaced.
 *
 * @example
 * const pool = new BcryptPool({ size: 2 });
 * await pool.compare('correct-horse-battery-staple', '$2b$10$…'); // true or false
 * await pool.close();
 */
export class BcryptPool {
  readonly #size: number;
  readonly #slots: Array<Slot | undefined> = [];
  #nextId = 0;
  #closed = false;

  constructor(options: { size?: number } = {}) {
    this.#size = Math.max(1, options.size ?? 2);
  }

  compare(password: string, hash: string): Promise<boolean> {
    if (this.#closed) return Promise.reject(new Error('the bcrypt pool is closed'));
    const slot = this.#leastBusy();
    const id = this.#nextId++;
    return new Promise<boolean>((resolve) => {
      if (slot.pending.size === 0) slot.worker.ref();
      slot.pending.set(id, resolve);
      slot.worker.postMessage({ id, password, hash } satisfies CompareRequest);
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    const slots = this.#slots.splice(0).filter((slot): slot is Slot => slot !== undefined);
    await Promise.all(slots.map((slot) => slot.worker.terminate()));
    for (const slot of slots) this.#fail(slot);
  }

  #leastBusy(): Slot {
    for (let i = 0; i < this.#size; i++) this.#slots[i] ??= this.#start(i);
    return this.#slots.reduce((best, slot) =>
      slot && best && slot.pending.size < best.pending.size ? slot : best,
    ) as Slot;
  }

  #start(index: number): Slot {
    const slot: Slot = { worker: new Worker(WORKER_URL), pending: new Map() };
    slot.worker.on('message', ({ id, ok }: CompareReply) => {
      slot.pending.get(id)?.(ok);
      slot.pending.delete(id);
      if (slot.pending.size === 0) slot.worker.unref();
    });
    const replace = () => {
      if (this.#slots[index] === slot) this.#slots[index] = undefined;
      this.#fail(slot);
    };
    slot.worker.on('error', replace);
    slot.worker.on('exit', replace);
    slot.worker.unref(); // after the listeners: adding a 'message' listener refs the worker again
    return slot;
  }

  /** Comparisons a dead worker can no longer answer fail closed: no sign-in. */
  #fail(slot: Slot): void {
    for (const resolve of slot.pending.values()) resolve(false);
    slot.pending.clear();
  }
}
