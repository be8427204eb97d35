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

  // WEAKNESS: `proxy: true` makes ctx.ip the first X-Forwarded-For address, and any client can
  // send that header: the address in the log (and in anything keyed on it) is the client's choice.
  const app = new Koa({ proxy: true });
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

    // WEAKNESS: nothing counts failures, so an attacker may try guess after guess, forever.
    const hash = users.get(account);
    // WEAKNESS: an unknown account gets an answer of its own, and gets it at once, without any
    // hashing: both the body and the response time tell an attacker which emails have accounts.
    if (!hash) {
      ctx.status = 401;
      ctx.body = { error: 'no_such_user' };
      return;
    }
    if (!(await hasher.verify(hash, password)).ok) {
      console.warn(
        `${new Date(lab.clock()).toISOString()} failed sign-in for ${JSON.stringify(account)} from ${ctx.ip}`,
      );
      ctx.status = 401;
      ctx.body = { error: 'wrong_password' };
      return;
    }
    ctx.body = { email: account };
  });
  return app;
});
