/**
 * The operator's instrumentation, the kind an APM agent adds: it counts every argon2 verification
 * this process runs (whoever calls it: PasswordHasher or argon2 directly) and serves the count at
 * GET /metrics. It is how the checks see "equal work" without timing anything. Not part of the
 * lesson: leave this file as it is.
 */
import argon2 from 'argon2';
import type { Context, Next } from 'koa';

let argon2Verifications = 0;
const verify = argon2.verify;
Object.assign(argon2, {
  verify(...args: Parameters<typeof verify>) {
    argon2Verifications += 1;
    return verify(...args);
  },
});

export async function metrics(ctx: Context, next: Next): Promise<void> {
  if (ctx.method !== 'GET' || ctx.path !== '/metrics') return next();
  ctx.body = { argon2Verifications };
}
