/**
 * The peer of `session-redis`: Express 5 + express-session + connect-redis on the same Redis,
 * configured the way connect-redis's README shows (resave false, saveUninitialized false; the
 * store's default touch, which refreshes the key's TTL on every request). `GET /me` reads
 * `req.session.user` and answers JSON; `POST /login` only puts a user in the session (the bench
 * measures `GET /me`, not the peer's login).
 */
import { randomBytes } from 'node:crypto';
import { RedisStore } from 'connect-redis';
import express from 'express';
import session from 'express-session';
import { createClient } from 'redis';
import { freePort } from '../../packages/testkit/src/index.ts';
import { serveBenchIpc } from './ipc.ts';

declare module 'express-session' {
  interface SessionData {
    user: { id: string; email: string; role: string };
  }
}

const redisUrl = process.env.BENCH_REDIS_URL;
if (!redisUrl) throw new Error('BENCH_REDIS_URL is required');

const redisClient = createClient({ url: redisUrl });
await redisClient.connect();
const store = new RedisStore({ client: redisClient, prefix: `express-bench:${process.pid}:` });

const app = express();
app.use(express.json());
app.use(
  session({
    store,
    resave: false,
    saveUninitialized: false,
    secret: randomBytes(32).toString('base64url'),
    name: 'express.sid',
    cookie: { httpOnly: true, sameSite: 'lax', secure: false },
  }),
);

app.post('/login', (req, res, next) => {
  // A new session id at sign-in, as at ours (session fixation).
  req.session.regenerate((error) => {
    if (error) return next(error);
    req.session.user = { id: 'u1', email: 'alice@example.com', role: 'user' };
    req.session.save((saveError) => (saveError ? next(saveError) : res.json({ user: req.session.user })));
  });
});

app.get('/me', (req, res) => {
  const user = req.session.user;
  if (!user) {
    res.status(401).json({ error: 'unauthenticated' });
    return;
  }
  res.json({ sub: user.id, email: user.email, role: user.role, mode: 'session' });
});

const port = await freePort();
const server = app.listen(port, '127.0.0.1');
await new Promise<void>((resolve, reject) => {
  server.once('listening', resolve);
  server.once('error', reject);
});

serveBenchIpc(`http://127.0.0.1:${port}`, async () => {
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
  await redisClient.quit();
});
