import { randomUUID } from 'node:crypto';
import type { Context, Next } from 'koa';
import type { Logger } from 'pino';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * `ctx.state.log`: the request's child logger (every line carries `reqId`), made on first use.
 * Most requests log nothing but their request line, and none at all below `info`, so building a
 * pino child (bindings serialised up front) for each of them is work thrown away.
 */
export class RequestLogger {
  readonly #logger: Logger;
  readonly #reqId: string;
  #child: Logger | undefined;

  constructor(logger: Logger, reqId: string) {
    this.#logger = logger;
    this.#reqId = reqId;
  }

  #childLogger(): Logger {
    this.#child ??= this.#logger.child({ reqId: this.#reqId });
    return this.#child;
  }

  info(object: object, message: string): void {
    if (this.#logger.isLevelEnabled('info')) this.#childLogger().info(object, message);
  }

  warn(object: object, message: string): void {
    if (this.#logger.isLevelEnabled('warn')) this.#childLogger().warn(object, message);
  }

  error(object: object, message: string): void {
    if (this.#logger.isLevelEnabled('error')) this.#childLogger().error(object, message);
  }
}

/**
 * One structured line per request with a request id (taken from a well-formed `X-Request-Id`,
 * else new) echoed in the response. Only the path is logged: query strings can carry codes.
 */
export function requestLog(logger: Logger) {
  return async function logRequest(ctx: Context, next: Next): Promise<void> {
    const incoming = ctx.get('X-Request-Id');
    const reqId = REQUEST_ID.test(incoming) ? incoming : randomUUID();
    const log = new RequestLogger(logger, reqId);
    ctx.state.reqId = reqId;
    ctx.state.log = log;
    ctx.set('X-Request-Id', reqId);
    // The level is read per request (it can be changed at run time); below info, no clock either.
    const started = logger.isLevelEnabled('info') ? process.hrtime.bigint() : null;
    try {
      await next();
    } finally {
      if (started !== null) {
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        log.info(
          { method: ctx.method, path: ctx.path, status: ctx.status, ms: Math.round(ms * 10) / 10, ip: ctx.ip },
          'request',
        );
      }
    }
  };
}
