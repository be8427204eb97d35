/**
 * An API that signs its access tokens with EdDSA keys it rotates: the newest key signs, the
 * older ones keep verifying. Each key's public half is kept as `keys/<kid>.pem` in the data
 * folder. Partners also store the public key they sign webhook calls with.
 *
 *   POST /login {username, password}         200 {token_type, access_token, expires_in} | 401
 *   GET  /.well-known/jwks.json                our public keys, each with its kid
 *   GET  /api/me                               Bearer → 200 {sub, role} | 401
 *   GET  /api/admin                            Bearer, role admin → 200 | 403 | 401
 *   PUT  /api/webhook-key {publicKey: PEM}     204: kept as `webhook-keys/<user>.pem` | 400
 *   POST /api/admin/rotate-key                 admin: a new signing key → 200 {kid}
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PasswordHasher } from '@authlab/auth-core';
import { labServer } from '@authlab/lab-kit/server';
import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import {
  type CryptoKey,
  calculateJwkThumbprint,
  createRemoteJWKSet,
  EmbeddedJWK,
  exportJWK,
  exportSPKI,
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
  const keysDir = join(lab.dataDir, 'keys');
  const webhookKeysDir = join(lab.dataDir, 'webhook-keys');
  await mkdir(keysDir);
  await mkdir(webhookKeysDir);

  // Every public key we have signed with (what /.well-known/jwks.json serves); the newest signs.
  const jwks: { keys: JWK[] } = { keys: [] };
  let signing: { kid: string; privateKey: CryptoKey };
  async function addSigningKey(): Promise<string> {
    const { publicKey, privateKey } = await generateKeyPair('EdDSA');
    const jwk = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(jwk);
    await writeFile(join(keysDir, `${kid}.pem`), await exportSPKI(publicKey));
    jwks.keys.push({ ...jwk, kid, alg: 'EdDSA', use: 'sig' });
    signing = { kid, privateKey };
    return kid;
  }
  await addSigningKey();

  // WEAKNESS: the token tells the server which key to check it with, and the server believes it.
  // An embedded `jwk` is a key that travels with the token: whoever signed it, it fits. A `jku`
  // is a URL to fetch keys from: any URL the attacker likes (and a request the server makes for
  // them). And the `kid` becomes part of a file path: `../` reaches any .pem file on disk.
  const keyFor: JWTVerifyGetKey = async (header, token) => {
    if (header.jwk) return EmbeddedJWK(header, token);
    if (header.jku) return createRemoteJWKSet(new URL(header.jku))(header, token);
    return importSPKI(await readFile(join(keysDir, `${header.kid}.pem`), 'utf8'), 'EdDSA');
  };

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
