/**
 * A sign-in service whose users table is a JSON file (`users.json` in the lab's data folder).
 * Some users came over from an older system and still have bcrypt hashes.
 *
 *   POST /register {username, password}   201 | 400 | 409
 *   POST /login    {username, password}   200 {username} | 401 {error:"invalid_credentials"}
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { labServer } from '@authlab/lab-kit/server';
import { bodyParser } from '@koa/bodyparser';
import bcrypt from 'bcryptjs';
import Koa from 'koa';

type Users = Record<string, { hash: string }>;

// WEAKNESS: one unsalted SHA-256 per password. A GPU tries billions of these per second, and
// equal passwords get equal hashes, so a leaked table falls to a wordlist in moments.
function hashPassword(password: string): string {
  return createHash('sha256').update(password).digest('hex');
}

async function verifyPassword(hash: string, password: string): Promise<boolean> {
  if (hash.startsWith('$2')) return bcrypt.compare(password, hash); // users from the old system
  return hashPassword(password) === hash;
}

export default labServer((lab) => {
  const file = join(lab.dataDir, 'users.json');
  const load = (): Users => JSON.parse(readFileSync(file, 'utf8'));
  const save = (users: Users) => writeFileSync(file, JSON.stringify(users, null, 2));
  save({
    alice: { hash: hashPassword('dragonfly-7') },
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
      users[username] = { hash: hashPassword(password) };
      save(users);
      ctx.status = 201;
      ctx.body = { username };
      return;
    }
    const user = users[username];
    if (!user || !(await verifyPassword(user.hash, password))) {
      ctx.status = 401;
      ctx.body = { error: 'invalid_credentials' };
      return;
    }
    ctx.body = { username };
  });
  return app;
});
