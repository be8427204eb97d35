/**
 * An API that signs its access tokens with EdDSA keys it rotates: the newest key signs, the
 * older ones keep verifying. Partners also store the public key they sign webhook calls with.
 *
 *   POST /login {username, password}         200 {token_type, access_token, expires_in} | 401
 *   GET  /.well-known/jwks.json                our public keys, each with its kid
 *   GET  /api/me                               Bearer → 200 {sub, role} | 401
 *   GET  /api/admin                            Bearer, role admin → 200 | 403 | 401
 *   PUT  /api/webhook-key {publicKey: PEM}     204: kept as `webhook-keys/<user>.pem` | 400
 *   POST /api/admin/rotate-key                 admin: a new signing key → 200 {kid}
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PasswordHasher } from '@authlab/auth-core';
import { labServer } from '@authlab/lab-kit/server';
import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import {
  type CryptoKey,
  calculateJwkThumbprint,
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  importSPKI,
  type JWK,
  type JWTVerifyGetKey,
  jwtVerify,
  SignJWT,
} from 'jose';
import Koa, { type Context } from 'koa';

const ACCESS_TTL_SEC = 15 * 60;

export default labServer(async (lab) => {
  const hasher = await PasswordHasher.create();
  const users = new Map([
    ['admin', { role: 'admin', hash: await hasher.hash('admin: never written down') }],
    ['alice', { role: 'user', hash: await hasher.hash('alice-in-accounting') }],
    ['mallory', { role: 'user', hash: await hasher.hash('mallory-integrates-webhooks') }],
  ]);
  const API = `${lab.url}/api`;
  const webhookKeysDir = join(lab.dataDir, 'webhook-keys');
  await mkdir(webhookKeysDir);

  // Every public key we have signed with (what /.well-known/jwks.json serves); the newest signs.
  const jwks: { keys: JWK[] } = { keys: [] };
  // FIX: tokens are checked against this set only, held in memory (createLocalJWKSet copies it, so
  // it is rebuilt whenever a key is added).
  let ourKeys = createLocalJWKSet(jwks);
  let signing: { kid: string; privateKey: CryptoKey };
  async function addSigningKey(): Promise<string> {
    const { publicKey, privateKey } = await generateKeyPair('EdDSA');
    const jwk = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(jwk);
    jwks.keys.push({ ...jwk, kid, alg: 'EdDSA', use: 'sig' });
    ourKeys = createLocalJWKSet(jwks);
    signing = { kid, privateKey };
    return kid;
  }
  await addSigningKey();

  // FIX: the key comes from the server's own set, never from the token: key material only from
  // trusted, pre-configured sources (RFC 8725 §3.8 and §3.10, RFC 9068 §4; ASVS 5.0 V9.1.3).
  // The `kid` only picks one of OUR keys (an unknown kid matches nothing), and `jwk`, `jku` and
  // `x5u` headers are ignored: no token makes the server read a file or fetch a URL.
  const keyFor: JWTVerifyGetKey = (header, token) => ourKeys(header, token);

  const verify = (token: string) =>
    jwtVerify(token, keyFor, {
      algorithms: ['EdDSA'],
      typ: 'at+jwt',
      issuer: lab.url,
      audience: API,
      requiredClaims: ['exp', 'sub'],
      currentDate: new Date(lab.clock()),
    });

  /** The caller's account from the Bearer token, or a 401 (a 403 when `role` is asked for and missing). */
  async function authenticate(ctx: Context, role?: string) {
    const token = /^Bearer ([\w.~+/-]+=*)$/i.exec(ctx.get('authorization'))?.[1] ?? '';
    const sub = (await verify(token).catch(() => null))?.payload.sub;
    const user = sub ? users.get(sub) : undefined;
    if (!sub || !user)
      ctx.throw(401, 'invalid_token', { headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' } });
    if (role && user.role !== role) ctx.throw(403, 'forbidden');
    return { sub, role: user.role };
  }

  const router = new Router();
  router.post('/login', async (ctx) => {
    const body = (ctx.request.body ?? {}) as { username?: unknown; password?: unknown };
    const username = String(body.username ?? '');
    const user = users.get(username);
    if (!user || !(await hasher.verify(user.hash, String(body.password ?? ''))).ok)
      ctx.throw(401, 'invalid_credentials');
    const now = Math.floor(lab.clock() / 1000);
    const accessToken = await new SignJWT({ sub: username })
      .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid: signing.kid })
      .setIssuer(lab.url)
      .setAudience(API)
      .setIssuedAt(now)
      .setExpirationTime(now + ACCESS_TTL_SEC)
      .sign(signing.privateKey);
    ctx.body = { token_type: 'Bearer', access_token: accessToken, expires_in: ACCESS_TTL_SEC };
  });
  router.get('/.well-known/jwks.json', (ctx) => {
    ctx.body = jwks;
  });
  router.get('/api/me', async (ctx) => {
    ctx.body = await authenticate(ctx);
  });
  router.get('/api/admin', async (ctx) => {
    const { sub } = await authenticate(ctx, 'admin');
    ctx.body = { message: `welcome to the admin console, ${sub}`, users: [...users.keys()] };
  });
  router.put('/api/webhook-key', async (ctx) => {
    const { sub } = await authenticate(ctx);
    const { publicKey } = (ctx.request.body ?? {}) as { publicKey?: unknown };
    const valid = typeof publicKey === 'string' && (await importSPKI(publicKey, 'EdDSA').catch(() => null));
    if (!valid) ctx.throw(400, 'invalid_request');
    await writeFile(join(webhookKeysDir, `${sub}.pem`), publicKey as string);
    ctx.status = 204;
  });
  router.post('/api/admin/rotate-key', async (ctx) => {
    await authenticate(ctx, 'admin');
    ctx.body = { kid: await addSigningKey() };
  });

  return new Koa().use(bodyParser()).use(router.routes());
});
