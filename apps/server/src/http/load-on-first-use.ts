import type Koa from 'koa';

/**
 * A middleware built on its first request: `build` imports the modules it needs then, so a part
 * of the server nobody uses costs no memory (the OpenID Provider and its dependencies are tens of
 * MB). Concurrent first requests share one build; a build that fails is tried again by the next
 * request rather than remembered.
 *
 * @example
 * app.use(loadOnFirstUse(async () => (await import('./heavy.ts')).heavyMiddleware()));
 */
export function loadOnFirstUse(build: () => Promise<Koa.Middleware>): Koa.Middleware {
  let built: Promise<Koa.Middleware> | undefined;
  return async function builtOnFirstUse(ctx, next) {
    built ??= build().catch((error: unknown) => {
      built = undefined;
      throw error;
    });
    return (await built)(ctx, next);
  };
}
