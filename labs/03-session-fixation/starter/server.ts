/**
 * A small shop with server-side sessions, kept in a Map: every visitor gets a session at the
 * first request (it holds the cart), and signing in attaches the account to the session.
 *
 *   GET  /cart                       200 {cart}
 *   POST /cart {item}                200 {cart}
 *   POST /login {email, password}    200 {email} | 401 {error:"invalid_credentials"}
 *   GET  /me                         200 {email, cart} | 401 {error:"unauthenticated"}
 *   POST /logout                     204
 */
import { randomBytes } from 'node:crypto';
import { PasswordHasher } from '@authlab/auth-core';
import { labServer } from '@authlab/lab-kit/server';
import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import Koa, { type Context } from 'koa';

interface Session {
  email?: string;
  cart: string[];
}

// WEAKNESS: a plain cookie: any script on the page can read it (no HttpOnly), other sites'
// requests carry it (no SameSite), it travels over plain http (no Secure), and a sibling
// subdomain can set or overwrite it (no __Host- prefix).
const COOKIE = 'sid';
const setSessionCookie = (ctx: Context, id: string) => ctx.set('Set-Cookie', `${COOKIE}=${id}; Path=/`);
const clearSessionCookie = (ctx: Context) => ctx.set('Set-Cookie', `${COOKIE}=; Path=/; Max-Age=0`);

export default labServer(async () => {
  const hasher = await PasswordHasher.create();
  const users = new Map([['alice@example.com', await hasher.hash('correct horse battery staple')]]);
  const sessions = new Map<string, Session>();
  const newId = () => randomBytes(32).toString('base64url'); // 256 bits from the CSPRNG

  const app = new Koa();
  app.use(bodyParser());
  // The session of this request: the one its cookie names, or a new visitor session. An id the
  // server never issued is not adopted.
  app.use(async (ctx, next) => {
    let id = ctx.cookies.get(COOKIE);
    if (!id || !sessions.has(id)) {
      id = newId();
      sessions.set(id, { cart: [] });
      setSessionCookie(ctx, id);
    }
    ctx.state.sid = id;
    ctx.state.session = sessions.get(id);
    await next();
  });

  const router = new Router();
  router.get('/cart', (ctx) => {
    ctx.body = { cart: ctx.state.session.cart };
  });
  router.post('/cart', (ctx) => {
    const { item } = (ctx.request.body ?? {}) as { item?: unknown };
    if (typeof item === 'string' && item.length <= 100) ctx.state.session.cart.push(item);
    ctx.body = { cart: ctx.state.session.cart };
  });
  router.post('/login', async (ctx) => {
    const { email, password } = (ctx.request.body ?? {}) as { email?: unknown; password?: unknown };
    if (typeof email !== 'string' || typeof password !== 'string' || Buffer.byteLength(password) > 1024) {
      ctx.status = 400;
      ctx.body = { error: 'invalid_request' };
      return;
    }
    const account = email.trim().toLowerCase();
    const hash = users.get(account);
    const ok = hash ? (await hasher.verify(hash, password)).ok : await hasher.verifyDummy(password);
    if (!ok) {
      ctx.status = 401;
      ctx.body = { error: 'invalid_credentials' };
      return;
    }
    // WEAKNESS: the visitor session simply becomes alice's. Its id is the one from before the
    // login, so whoever knew that id (because they planted it in alice's browser) is signed in too.
    ctx.state.session.email = account;
    ctx.body = { email: account };
  });
  router.get('/me', (ctx) => {
    const { email, cart } = ctx.state.session as Session;
    if (!email) {
      ctx.status = 401;
      ctx.body = { error: 'unauthenticated' };
      return;
    }
    ctx.body = { email, cart };
  });
  router.post('/logout', (ctx) => {
    sessions.delete(ctx.state.sid);
    clearSessionCookie(ctx);
    ctx.status = 204;
  });
  app.use(router.routes());
  return app;
});
