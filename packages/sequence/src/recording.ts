import type { WireMessage } from './message.ts';

/**
 * A bounded list of recorded messages: the oldest go first once `limit` is reached, so a page left
 * open all day cannot grow it without end. Holds only what `add` is given: callers shorten values
 * (message.ts) before recording, so nothing here is a secret.
 */
export class Recording {
  readonly #limit: number;
  readonly #messages: WireMessage[] = [];
  constructor(limit = 300) {
    this.#limit = limit;
  }
  add(message: WireMessage): void {
    this.#messages.push(message);
    if (this.#messages.length > this.#limit) this.#messages.splice(0, this.#messages.length - this.#limit);
  }
  /** The messages in order; of one mode only when `mode` is given. */
  messages(mode?: string): WireMessage[] {
    return mode === undefined ? [...this.#messages] : this.#messages.filter((m) => m.mode === mode);
  }
  clear(): void {
    this.#messages.length = 0;
  }
}
