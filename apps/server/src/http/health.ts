import type Router from '@koa/router';
import type { Context } from 'koa';
import type { AppDeps } from '../deps.ts';
import { createRouter } from './router.ts';

/**
 * `GET /healthz`: `200 {status:"ok",store}` when the store answers, `503` when it does not (fail
 * closed: a load balancer takes the instance out rather than letting it refuse everyone).
 */
export function healthRouter(deps: AppDeps): Router {
  const router = createRouter();
  router.get('/healthz', async function health(ctx: Context) {
    ctx.set('Cache-Control', 'no-store');
    try {
      await deps.store.ping();
      ctx.body = { status: 'ok', store: deps.store.kind };
    } catch {
      ctx.status = 503;
      ctx.body = { status: 'unavailable', store: deps.store.kind, error: 'store_unavailable' };
    }
  });
  return router;
}
