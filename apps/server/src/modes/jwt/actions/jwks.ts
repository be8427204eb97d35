import { JWKS_MAX_AGE_SEC } from '@authlab/auth-core';
import type { Context } from 'koa';
import type { AppDeps } from '../../../deps.ts';

/** `GET /.well-known/jwks.json`: the public keys of the ring (current, next, previous). */
export function jwks(deps: AppDeps) {
  return function jwks(ctx: Context): void {
    // Short enough that a rotated key set reaches verifiers before the "next" key signs anything.
    ctx.set('Cache-Control', `public, max-age=${JWKS_MAX_AGE_SEC}`);
    ctx.body = deps.keyRing.jwks();
  };
}
