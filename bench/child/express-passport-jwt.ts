/**
 * The peer of `jwt`: Express 5 + passport + passport-jwt, tokens from jsonwebtoken signed with
 * ES256 (jsonwebtoken has no EdDSA). `GET /me` verifies the Bearer token (algorithm, issuer and
 * audience pinned, as passport-jwt's README shows) and answers the user as JSON. The strategy's
 * verify callback finds the user in an in-memory Map: no store, no revocation — stateless JWT at
 * its cheapest, so this row is an upper bound for the pattern, not a like-for-like of our checks.
 */
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import express from 'express';
import jwt from 'jsonwebtoken';
import passport from 'passport';
import { ExtractJwt, Strategy as JwtStrategy } from 'passport-jwt';
import { freePort } from '../../packages/testkit/src/index.ts';
import { serveBenchIpc } from './ipc.ts';

interface BenchUser {
  id: string;
  email: string;
  role: string;
}

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const privatePem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();

const port = await freePort();
const origin = `http://127.0.0.1:${port}`;
const audience = `${origin}/api`;
const users = new Map<string, BenchUser>([['u1', { id: 'u1', email: 'alice@example.com', role: 'user' }]]);

passport.use(
  new JwtStrategy(
    {
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      secretOrKey: publicPem,
      algorithms: ['ES256'],
      issuer: origin,
      audience,
    },
    (payload: { sub?: string }, done: (error: unknown, user?: BenchUser | false) => void) => {
      done(null, users.get(payload.sub ?? '') ?? false);
    },
  ),
);

const app = express();
app.use(express.json());
app.use(passport.initialize());

app.post('/login', (_req, res) => {
  const user = users.get('u1') as BenchUser;
  const token = jwt.sign({ role: user.role }, privatePem, {
    algorithm: 'ES256',
    expiresIn: '15m',
    issuer: origin,
    audience,
    subject: user.id,
    jwtid: randomUUID(),
  });
  res.json({ token_type: 'Bearer', access_token: token, expires_in: 900 });
});

app.get('/me', passport.authenticate('jwt', { session: false }), (req, res) => {
  const user = req.user as BenchUser;
  res.json({ sub: user.id, email: user.email, role: user.role, mode: 'jwt' });
});

const server = app.listen(port, '127.0.0.1');
await new Promise<void>((resolve, reject) => {
  server.once('listening', resolve);
  server.once('error', reject);
});

serveBenchIpc(origin, async () => {
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
});
