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
import { createHmac, createPublicKey, timingSafeEqual, verify as verifySignature } from 'node:crypto';
import { PasswordHasher } from '@authlab/auth-core';
import { labServer } from '@authlab/lab-kit/server';
import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import { exportSPKI, generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import Koa, { type Context } from 'koa';

const ACCESS_TTL_SEC = 15 * 60;
const LINK_TTL_SEC = 7 * 24 * 3600;
const REFRESH_TTL_SEC = 30 * 24 * 3600;

const fromBase64url = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));

// WEAKNESS: a home-made JWT check that lets the token's own header pick the algorithm. "none"
// skips the signature; "HS256" runs an HMAC keyed with the public key, which anyone can
// download from /public-key. Only "EdDSA" does what we meant.
function verifyJwt(token: string, publicKeyPem: string): JWTPayload {
  const [header64 = '', payload64 = '', signature64 = ''] = token.split('.');
  const { alg } = fromBase64url(header64);
  const signingInput = Buffer.from(`${header64}.${payload64}`);
  const signature = Buffer.from(signature64, 'base64url');
  let valid = false;
  if (alg === 'none') valid = true;
  if (alg === 'HS256') {
    const mac = createHmac('sha256', publicKeyPem).update(signingInput).digest();
    valid = mac.length === signature.length && timingSafeEqual(mac, signature);
  }
  if (alg === 'EdDSA') valid = verifySignature(null, signingInput, createPublicKey(publicKeyPem), signature);
  if (!valid) throw new Error('invalid signature');
  return fromBase64url(payload64);
}

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
  // WEAKNESS: after the signature, the claims are taken as they come: `_audience` is never
  // compared with aud, iss is never looked at, and exp is never compared with the clock.
  const verify = async (token: string, _audience: string): Promise<JWTPayload> => verifyJwt(token, publicKeyPem);

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
