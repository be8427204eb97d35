/**
 * A tiny bank with server sessions: alice signs in and moves money with a form. People use it at
 * http://localhost:<port> (its public address, like PUBLIC_URL); other host names redirect there.
 *
 *   GET  /          the page: a sign-in form, or your balance and a transfer form
 *   POST /login     form or JSON {username, password}  303 to / (form) | 200 {username} | 401
 *   POST /transfer  form or JSON {to, amount}          303 to / (form) | 200 {balance} | 400 | 401
 *   GET  /account   200 {username, balance} | 401
 */
import { randomBytes } from 'node:crypto';
import { PasswordHasher } from '@authlab/auth-core';
import { labServer } from '@authlab/lab-kit/server';
import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import Koa from 'koa';

export default labServer(async (lab) => {
  const appUrl = `http://localhost:${lab.port}`;
  lab.publish({ appUrl });
  const hasher = await PasswordHasher.create();
  const passwords = new Map([['alice', await hasher.hash('wonderland-42')]]);
  const balances = new Map([
    ['alice', 1000],
    ['mallory', 0],
  ]);
  const sessions = new Map<string, string>(); // session id → username

  const app = new Koa();
  app.use(async (ctx, next) => {
    if (ctx.method === 'GET' && `http://${ctx.host}` !== appUrl) return ctx.redirect(`${appUrl}${ctx.url}`);
    await next();
  });
  app.use(bodyParser());
  // FIX: refuse a state-changing request that the browser marks as coming from another origin,
  // `Origin: null` included (ASVS 5.0 V3.5.1; OWASP CSRF Prevention Cheat Sheet, Fetch Metadata
  // and Origin checks; after Go's CrossOriginProtection). Same-*site* is not enough: another port
  // of localhost is same-site. A request with neither header is not from a browser and carries
  // no ambient cookie.
  app.use(async (ctx, next) => {
    const site = ctx.get('Sec-Fetch-Site');
    const origin = ctx.get('Origin');
    const crossOrigin =
      (site !== '' && site !== 'same-origin' && site !== 'none') || (origin !== '' && origin !== appUrl);
    if (!['GET', 'HEAD', 'OPTIONS'].includes(ctx.method) && crossOrigin) ctx.throw(403, 'forbidden_origin');
    await next();
  });

  const router = new Router();
  const currentUser = (ctx: Koa.Context) => sessions.get(ctx.cookies.get('sid') ?? '');
  const fromForm = (ctx: Koa.Context) => ctx.is('urlencoded') === 'urlencoded';

  router.post('/login', async (ctx) => {
    const body = ctx.request.body as Record<string, unknown>;
    const username = String(body.username);
    const hash = passwords.get(username);
    if (!hash || !(await hasher.verify(hash, String(body.password))).ok) ctx.throw(401, 'invalid_credentials');
    const sid = randomBytes(32).toString('base64url');
    sessions.set(sid, username);
    // FIX: SameSite=Lax: the browser leaves the cookie off a POST that another *site* starts
    // (RFC 6265bis "SameSite"; ASVS 5.0 V3.3.2). Defence in depth: another port is the same site.
    ctx.set('Set-Cookie', `sid=${sid}; Path=/; HttpOnly; Secure; SameSite=Lax`);
    if (fromForm(ctx)) {
      ctx.status = 303;
      return ctx.redirect('/');
    }
    ctx.body = { username };
  });

  router.get('/', (ctx) => {
    const user = currentUser(ctx);
    ctx.type = 'html';
    ctx.body = user
      ? `<!doctype html><title>Bank</title><h1>Hello ${user}</h1>
        <p>Balance: <output id="balance">${balances.get(user)}</output></p>
        <form method="post" action="/transfer">
          <label>To <input name="to"></label> <label>Amount <input name="amount" type="number"></label>
          <button>Send money</button>
        </form>`
      : `<!doctype html><title>Bank</title><h1>Sign in</h1>
        <form method="post" action="/login">
          <label>Username <input name="username"></label> <label>Password <input name="password" type="password"></label>
          <button>Sign in</button>
        </form>`;
  });

  router.get('/account', (ctx) => {
    const user = currentUser(ctx) ?? ctx.throw(401, 'not_signed_in');
    ctx.body = { username: user, balance: balances.get(user) };
  });

  router.post('/transfer', (ctx) => {
    const user = currentUser(ctx) ?? ctx.throw(401, 'not_signed_in');
    const { to, amount } = ctx.request.body as Record<string, string | number>;
    const balance = balances.get(user) ?? 0;
    const sum = Number(amount);
    const valid = balances.has(String(to)) && to !== user && Number.isInteger(sum) && sum > 0 && sum <= balance;
    if (!valid) ctx.throw(400, 'invalid_transfer');
    balances.set(user, balance - sum);
    balances.set(String(to), (balances.get(String(to)) ?? 0) + sum);
    if (fromForm(ctx)) {
      ctx.status = 303;
      return ctx.redirect('/');
    }
    ctx.body = { balance: balance - sum };
  });

  app.use(router.routes());
  return app;
});
