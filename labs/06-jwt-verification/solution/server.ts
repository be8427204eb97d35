/**
 * An API that signs its own access tokens (EdDSA, 15 minutes), and a billing service on the same
 * signing key that shares invoices by link: the link carries a token for the billing audience.
 *
 *   POST /login {username, password}      200 {token_type, access_token, expires_in, refresh_token} | 401
 *   GET  /public-key                       the PEM partners verify our tokens with
 *   GET  /api/me                           Bearer → 200 {sub, role} | 401
 *   GET  /api/admin                        Bearer, role admin → 200 | 403 | 401
 *   GET  /billing/invoices/:id?token=…     200 the invoice the link's token names | 401
 *
 * Publishes `invoiceLink`: the link to invoice 7 that admin sent mallory, the accountant; and
 * `stagingToken`: an admin token of the staging server, which shares this server's signing key.
 */
import { PasswordHasher } from '@authlab/auth-core';
import { labServer } from '@authlab/lab-kit/server';
import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import { exportSPKI, generateKeyPair, type JWTPayload, jwtVerify, SignJWT } from 'jose';
import Koa, { type Context } from 'koa';

const ACCESS_TTL_SEC = 15 * 60;
const LINK_TTL_SEC = 7 * 24 * 3600;
const REFRESH_TTL_SEC = 30 * 24 * 3600;

export default labServer(async (lab) => {
  const hasher = await PasswordHasher.create();
  const users = new Map([
    ['admin', { role: 'admin', hash: await hasher.hash('admin: never written down') }],
    ['alice', { role: 'user', hash: await hasher.hash('alice-in-accounting') }],
    ['mallory', { role: 'user', hash: await hasher.hash('mallory-also-in-accounting') }],
  ]);
  const invoices = new Map([
    ['7', { id: '7', customer: 'ACME', total: '1200.00 EUR' }],
    ['8', { id: '8', customer: 'Initech', total: '4999.00 EUR' }],
  ]);
  const API = `${lab.url}/api`;
  const BILLING = `${lab.url}/billing`;
  const { publicKey, privateKey } = await generateKeyPair('EdDSA');
  const publicKeyPem = await exportSPKI(publicKey);

  const sign = (
    claims: Record<string, unknown>,
    audience: string,
    ttlSec: number,
    { typ = 'at+jwt', issuer = lab.url } = {},
  ) => {
    const now = Math.floor(lab.clock() / 1000);
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'EdDSA', typ })
      .setIssuer(issuer)
      .setAudience(audience)
      .setIssuedAt(now)
      .setExpirationTime(now + ttlSec)
      .sign(privateKey);
  };

  // The one place tokens are checked, for the API (audience API) and for billing (BILLING).
  // FIX: a maintained library checks the signature with OUR key and algorithm, then the claims.
  const verify = async (token: string, audience: string): Promise<JWTPayload> => {
    const { payload } = await jwtVerify(token, publicKey, {
      // The server decides the algorithm, never the token: "none" and "HS256" are refused
      // (RFC 8725 §2.1 and §3.1; ASVS 5.0 V9.1.2).
      algorithms: ['EdDSA'],
      // Explicit typing: only access tokens, no other kind of JWT (RFC 8725 §3.11, RFC 9068 §4;
      // ASVS 5.0 V9.2.2).
      typ: 'at+jwt',
      // Who issued it and whom it is for: one key signs for the API and for billing, so each
      // refuses the other's tokens (RFC 8725 §3.8 and §3.9; ASVS 5.0 V9.2.3, V9.2.4).
      issuer: lab.url,
      audience,
      // exp must be there (RFC 9068 §2.2) and in the future on the lab clock (RFC 7519 §4.1.4;
      // ASVS 5.0 V9.2.1).
      requiredClaims: ['exp', 'sub'],
      currentDate: new Date(lab.clock()),
    });
    return payload;
  };

  /** The caller (the token's claims and account), or a 401. */
  async function authenticate(ctx: Context, token: string, audience: string) {
    const claims = await verify(token, audience).catch(() => null);
    const user = claims?.sub ? users.get(claims.sub) : undefined;
    if (!claims || !user)
      ctx.throw(401, 'invalid_token', { headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' } });
    return { sub: claims.sub, role: user.role, claims };
  }
  const bearer = (ctx: Context) => /^Bearer ([\w.~+/-]+=*)$/i.exec(ctx.get('authorization'))?.[1] ?? '';

  const router = new Router();
  router.post('/login', async (ctx) => {
    const body = (ctx.request.body ?? {}) as { username?: unknown; password?: unknown };
    const username = String(body.username ?? '');
    const user = users.get(username);
    if (!user || !(await hasher.verify(user.hash, String(body.password ?? ''))).ok)
      ctx.throw(401, 'invalid_credentials');
    const accessToken = await sign({ sub: username }, API, ACCESS_TTL_SEC);
    // A refresh token for the app to keep, signed by the same helper with its own `typ` (the
    // refresh endpoint is lab 08's topic and is left out here).
    const refreshToken = await sign({ sub: username }, API, REFRESH_TTL_SEC, { typ: 'refresh+jwt' });
    ctx.body = {
      token_type: 'Bearer',
      access_token: accessToken,
      expires_in: ACCESS_TTL_SEC,
      refresh_token: refreshToken,
    };
  });
  router.get('/public-key', (ctx) => {
    ctx.type = 'application/x-pem-file';
    ctx.body = publicKeyPem;
  });
  router.get('/api/me', async (ctx) => {
    const { sub, role } = await authenticate(ctx, bearer(ctx), API);
    ctx.body = { sub, role };
  });
  router.get('/api/admin', async (ctx) => {
    const user = await authenticate(ctx, bearer(ctx), API);
    if (user.role !== 'admin') ctx.throw(403, 'forbidden');
    ctx.body = { message: `welcome to the admin console, ${user.sub}`, users: [...users.keys()] };
  });
  router.get('/billing/invoices/:id', async (ctx) => {
    const { claims } = await authenticate(ctx, String(ctx.query.token ?? ''), BILLING);
    const invoice = invoices.get(ctx.params.id ?? '');
    if (!invoice || claims.invoice !== invoice.id) ctx.throw(404, 'not_found');
    ctx.body = invoice;
  });

  lab.publish({
    invoiceLink: `${BILLING}/invoices/7?token=${await sign({ sub: 'admin', invoice: '7' }, BILLING, LINK_TTL_SEC)}`,
    // The staging server was set up from a backup of this one, signing key included; only its
    // issuer name differs. Its admin token turned up in a shared test-data folder.
    stagingToken: await sign({ sub: 'admin' }, API, ACCESS_TTL_SEC, { issuer: `${lab.url}/staging` }),
  });

  return new Koa().use(bodyParser()).use(router.routes());
});
