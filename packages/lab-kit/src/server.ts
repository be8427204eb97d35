/**
 * What a lab's `starter/server.ts` and `solution/server.ts` import: the context the runner hands
 * them and `labServer()`, which only names the shape.
 *
 * @example
 * import Koa from 'koa';
 * import { labServer } from '@authlab/lab-kit/server';
 *
 * export default labServer((lab) => {
 *   const app = new Koa();
 *   app.use((ctx) => { ctx.body = { now: lab.clock() }; });
 *   return app;
 * });
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Milliseconds since the epoch; the same shape as `Clock` in @authlab/store. */
export type LabClock = () => number;

export interface LabContext {
  /** `http://127.0.0.1:<port>`: where the server is reachable. */
  url: string;
  port: number;
  /**
   * The lab's clock: real time plus whatever the checks advanced it by (`POST /__lab/clock`), so
   * expiry and rate windows pass instantly. Use it for every time decision.
   */
  clock: LabClock;
  /** A fresh, empty folder for this run's files (a SQLite database, a "leaked" table, keys). */
  dataDir: string;
  /** Everything the server wants the attacker and the checks to know (ports it opened, …). */
  publish(info: Record<string, unknown>): void;
}

/** A Koa app (anything with `callback()`) or a plain Node request handler. */
export type LabApp =
  | { callback(): (req: IncomingMessage, res: ServerResponse) => unknown }
  | ((req: IncomingMessage, res: ServerResponse) => unknown);

/**
 * What the module exports by default. The runner stops a server by ending its process, so nothing
 * needs closing: keep files in `lab.dataDir`, which is removed then.
 */
export type LabServerFactory = (lab: LabContext) => LabApp | Promise<LabApp>;

export function labServer(factory: LabServerFactory): LabServerFactory {
  return factory;
}
