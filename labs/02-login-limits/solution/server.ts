/**
 * The sign-in endpoint of a small service. Passwords are argon2id already (lab 01); this lab is
 * about everything around the password check.
 *
 *   POST /login {email, password}   200 {email} | 401 {error} | 429 {error} with Retry-After
 *   GET  /metrics                   {argon2Verifications}, from metrics.ts (leave it as it is)
 */
import { PasswordHasher } from '@authlab/auth-core';
import { labServer } from '@authlab/lab-kit/server';
import { bodyParser } from '@koa/bodyparser';
import Koa from 'koa';
import { metrics } from './metrics.ts';

export default labServer(async (lab) => {
  const hasher = await PasswordHasher.create();
  const users = new Map([
    ['alice@example.com', await hasher.hash('trustno1')],
    ['bob@example.com', await hasher.hash('correct horse battery staple')],
  ]);

  // FIX: failures are counted per IP+account (guessing one account's password stops, without
  // locking its owner out from everywhere) and per IP (one address spraying many accounts stops),
  // in 15-minute windows on the lab clock (OWASP Authentication Cheat Sheet, "Protect against
  // automated attacks"; ASVS 5.0 V6.3.1). auth-core's LoginLimiter is the production version.
  const LIMITS = { pair: 5, ip: 20 };
  const WINDOW_MS = 15 * 60_000;
  const failures = new Map<string, { count: number; until: number }>();
  const secondsBlocked = (key: string, max: number): number => {
    const entry = failures.get(key);
    const left = entry && entry.count >= max ? entry.until - lab.clock() : 0;
    return left > 0 ? Math.ceil(left / 1000) : 0;
  };
  const countFailure = (key: string): void => {
    const entry = failures.get(key);
    if (entry && entry.until > lab.clock()) entry.count += 1;
    else failures.set(key, { count: 1, until: lab.clock() + WINDOW_MS });
  };

  // FIX: ctx.ip is the socket's address. X-Forwarded-For is believed only from a proxy you run
  // (Koa's `proxy` plus `maxIpsCount` = its hops), and there is none in front of this server.
  const app = new Koa();
  app.use(metrics);
  app.use(bodyParser());
  app.use(async (ctx) => {
    if (ctx.method !== 'POST' || ctx.path !== '/login') ctx.throw(404);
    const { email, password } = (ctx.request.body ?? {}) as { email?: unknown; password?: unknown };
    if (typeof email !== 'string' || typeof password !== 'string' || Buffer.byteLength(password) > 1024) {
      ctx.status = 400;
      ctx.body = { error: 'invalid_request' };
      return;
    }
    const account = email.trim().toLowerCase();

    // FIX: the limits come before any lookup or hashing, and a blocked pair stays blocked even
    // for the right password (else the attacker's next guess could still win).
    const pair = `${ctx.ip}|${account}`;
    const wait = Math.max(secondsBlocked(pair, LIMITS.pair), secondsBlocked(ctx.ip, LIMITS.ip));
    if (wait > 0) {
      ctx.status = 429;
      ctx.set('Retry-After', String(wait));
      ctx.body = { error: 'too_many_attempts' };
      return;
    }
    const hash = users.get(account);
    // FIX: an unknown account costs the same argon2 work and gets the same answer as a wrong
    // password, so neither the body nor the timing tells who has an account (ASVS 5.0 V6.3.8).
    const ok = hash ? (await hasher.verify(hash, password)).ok : await hasher.verifyDummy(password);
    if (!ok) {
      console.warn(
        `${new Date(lab.clock()).toISOString()} failed sign-in for ${JSON.stringify(account)} from ${ctx.ip}`,
      );
      countFailure(pair);
      countFailure(ctx.ip);
      ctx.status = 401;
      ctx.body = { error: 'invalid_credentials' };
      return;
    }
    failures.delete(pair); // the owner's success clears this pair, never the IP's count
    ctx.body = { email: account };
  });
  return app;
});
