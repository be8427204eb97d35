import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type Koa from 'koa';
import { loadOnFirstUse } from '../src/http/load-on-first-use.ts';

const ctx = {} as Koa.Context;
const next = async () => {};

describe('loadOnFirstUse', () => {
  it('builds nothing until the first request, then once for concurrent first requests', async () => {
    let builds = 0;
    let served = 0;
    const middleware = loadOnFirstUse(async () => {
      builds += 1;
      await new Promise((resolve) => setImmediate(resolve));
      return async () => {
        served += 1;
      };
    });
    assert.equal(builds, 0);
    await Promise.all([middleware(ctx, next), middleware(ctx, next), middleware(ctx, next)]);
    await middleware(ctx, next);
    assert.deepEqual({ builds, served }, { builds: 1, served: 4 });
  });

  it('fails the requests of a failed build and builds again on the next request', async () => {
    let builds = 0;
    const middleware = loadOnFirstUse(async () => {
      builds += 1;
      if (builds === 1) throw Object.assign(new Error('import failed'), { code: 'build_failed' });
      return async (c) => {
        c.body = 'built';
      };
    });
    await assert.rejects(middleware(ctx, next), { code: 'build_failed' });
    const second = {} as Koa.Context;
    await middleware(second, next);
    assert.equal(second.body, 'built');
    assert.equal(builds, 2);
  });
});
