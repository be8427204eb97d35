/**
 * A sign-in service whose users table is a JSON file (`users.json` in the lab's data folder).
 * Some users came over from an older system and still have bcrypt hashes.
 *
 *   POST /register {username, password}   201 | 400 | 409
 *   POST /login    {username, password}   200 {username} | 401 {error:"invalid_credentials"}
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PasswordHasher } from '@authlab/auth-core';
import { labServer } from '@authlab/lab-kit/server';
import { bodyParser } from '@koa/bodyparser';
import bcrypt from 'bcryptjs';
import Koa from 'koa';

type Users = Record<string, { hash: string }>;

export default labServer(async (lab) => {
  // FIX: argon2id with OWASP's parameters (19 MiB, 2 passes) and a random salt in every hash:
  // each guess now costs the attacker memory and time (OWASP Password Storage Cheat Sheet,
  // ASVS 5.0 V11.4.2). PasswordHasher also verifies the old bcrypt hashes.
  const hasher = await PasswordHasher.create();
  const file = join(lab.dataDir, 'users.json');
  const load = (): Users => JSON.parse(readFileSync(file, 'utf8'));
  const save = (users: Users) => writeFileSync(file, JSON.stringify(users, null, 2));
  save({
    alice: { hash: await hasher.hash('dragonfly-7') },
    bob: { hash: bcrypt.hashSync('correct horse battery staple', 10) },
  });

  const app = new Koa();
  app.use(bodyParser());
  app.use(async (ctx) => {
    const { username, password } = (ctx.request.body ?? {}) as { username?: unknown; password?: unknown };
    if (ctx.method !== 'POST' || !['/register', '/login'].includes(ctx.path)) ctx.throw(404);
    if (typeof username !== 'string' || typeof password !== 'string' || Buffer.byteLength(password) > 1024) {
      ctx.status = 400;
      ctx.body = { error: 'invalid_request' };
      return;
    }
    const users = load();
    if (ctx.path === '/register') {
      if (password.length < 12) {
        ctx.status = 400;
        ctx.body = { error: 'weak_password', message: 'at least 12 characters' };
        return;
      }
      if (users[username]) {
        ctx.status = 409;
        ctx.body = { error: 'username_taken' };
        return;
      }
      users[username] = { hash: await hasher.hash(password) };
      save(users);
      ctx.status = 201;
      ctx.body = { username };
      return;
    }
    const user = users[username];
    const result = user ? await hasher.verify(user.hash, password) : { ok: false, needsRehash: false };
    if (!user || !result.ok) {
      ctx.status = 401;
      ctx.body = { error: 'invalid_credentials' };
      return;
    }
    // FIX: lazy migration. Only now, with the plain password in hand after a successful check,
    // can an old bcrypt hash be replaced by an argon2id one.
    if (result.needsRehash) {
      users[username] = { hash: await hasher.hash(password) };
      save(users);
    }
    ctx.body = { username };
  });
  return app;
});
