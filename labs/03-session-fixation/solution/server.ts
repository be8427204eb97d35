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

// FIX: HttpOnly (no script can read it), SameSite=Lax (other sites' POSTs do not carry it),
// Secure (https only; browsers count http://localhost and 127.0.0.1 as secure too), and the
// __Host- prefix, which browsers accept only with Secure, Path=/ and no Domain, so no other host
// (a sibling subdomain) can set or overwrite it (RFC 6265bis §4.1.3.2; ASVS 5.0 V3.3.1–V3.3.4).
const COOKIE = '__Host-sid';
const ATTRIBUTES = 'Path=/; Secure; HttpOnly; SameSite=Lax';
const setSessionCookie = (ctx: Context, id: string) => ctx.set('Set-Cookie', `${COOKIE}=${id}; ${ATTRIBUTES}`);
const clearSessionCookie = (ctx: Context) => ctx.set('Set-Cookie', `${COOKIE}=; ${ATTRIBUTES}; Max-Age=0`);

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
    // FIX: a new session id at login, and the old one ends: an id someone planted before the
    // login is worth nothing after it. The cart moves over (OWASP Session Management Cheat Sheet,
    // "Renew the Session ID After Any Privilege Level Change"; ASVS 5.0 V7.2.4).
    sessions.delete(ctx.state.sid);
    const id = newId();
    sessions.set(id, { ...ctx.state.session, email: account });
    setSessionCookie(ctx, id);
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
