/**
 * A sign-in service that signs EdDSA access tokens and publishes its public keys, so that any
 * resource server can verify the tokens on its own. The signing key is rotated every 90 days.
 * The keys live in `keys.json` in the data folder, the file every instance of the service shares.
 *
 *   POST /login                 {username, password}  200 {access_token, expires_in} | 401 invalid_credentials
 *   GET  /.well-known/jwks.json                       200 {keys: [public JWK, …]} (resource servers cache it)
 *   GET  /api/me                Bearer access token   200 {sub} | 401 invalid_token
 */
import { createPrivateKey, generateKeyPairSync, type JsonWebKey, randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { labServer } from '@authlab/lab-kit/server';
import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import { createLocalJWKSet, type JWK, jwtVerify, SignJWT } from 'jose';
import Koa from 'koa';

const USERS = ['alice', 'mallory'];
const DEMO_PASSWORD = 'correct-horse-battery-staple'; // password storage is lab 01's topic
const ACCESS_TOKEN_TTL_SEC = 15 * 60;
const ROTATE_EVERY_MS = 90 * 24 * 3600 * 1000;

/** One Ed25519 key pair as stored in keys.json (the private JWK: never served). */
interface StoredKey {
  kid: string;
  createdAt: number;
  jwk: JsonWebKey;
}

function newKey(now: number): StoredKey {
  const { privateKey } = generateKeyPairSync('ed25519');
  return { kid: randomUUID(), createdAt: now, jwk: privateKey.export({ format: 'jwk' }) };
}

const publicJwk = ({ kid, jwk }: StoredKey): JWK => ({
  kty: 'OKP',
  crv: 'Ed25519',
  x: jwk.x,
  kid,
  alg: 'EdDSA',
  use: 'sig',
});

export default labServer((lab) => {
  const file = join(lab.dataDir, 'keys.json');
  let keys: StoredKey[] = [newKey(lab.clock())];
  const save = () => writeFileSync(file, JSON.stringify({ keys }, null, 2), { mode: 0o600 });
  save();

  const signingKey = () => keys.at(-1) as StoredKey;

  /** Checked on every request rather than on a timer, so it follows the lab clock. */
  function rotateIfDue(): void {
    const now = lab.clock();
    if (now - signingKey().createdAt < ROTATE_EVERY_MS) return;
    // WEAKNESS: the new key signs at once, though resource servers that cached the JWKS have never
    // seen it. And to log nobody out, every retired key stays in the JWKS for ever: a key that
    // leaked keeps minting tokens that everyone accepts, however long ago it was rotated out.
    keys = [...keys, newKey(now)];
    save();
  }

  /** What verifiers may trust: this service's own API included. */
  const jwks = () => ({ keys: keys.map(publicJwk) });

  const router = new Router();
  router.post('/login', async (ctx) => {
    const { username, password } = (ctx.request.body ?? {}) as Record<string, unknown>;
    if (typeof username !== 'string' || !USERS.includes(username) || password !== DEMO_PASSWORD) {
      ctx.status = 401;
      ctx.body = { error: 'invalid_credentials' };
      return;
    }
    const { kid, jwk } = signingKey();
    const now = Math.floor(lab.clock() / 1000);
    const access_token = await new SignJWT({ sub: username })
      .setProtectedHeader({ alg: 'EdDSA', kid })
      .setIssuedAt(now)
      .setExpirationTime(now + ACCESS_TOKEN_TTL_SEC)
      .sign(createPrivateKey({ key: jwk, format: 'jwk' }));
    ctx.body = { token_type: 'Bearer', access_token, expires_in: ACCESS_TOKEN_TTL_SEC };
  });

  router.get('/.well-known/jwks.json', (ctx) => {
    ctx.set('Cache-Control', 'public, max-age=300');
    ctx.body = jwks();
  });

  router.get('/api/me', async (ctx) => {
    const token = ctx.get('Authorization').match(/^Bearer (.+)$/)?.[1] ?? '';
    try {
      const options = { algorithms: ['EdDSA'], currentDate: new Date(lab.clock()) };
      const { payload } = await jwtVerify(token, createLocalJWKSet(jwks()), options);
      ctx.body = { sub: payload.sub };
    } catch {
      ctx.status = 401;
      ctx.set('WWW-Authenticate', 'Bearer');
      ctx.body = { error: 'invalid_token' };
    }
  });

  const app = new Koa();
  app.use(bodyParser());
  app.use(async (_ctx, next) => {
    rotateIfDue();
    await next();
  });
  app.use(router.routes());
  return app;
});
