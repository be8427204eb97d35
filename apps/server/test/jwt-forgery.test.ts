import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync, type KeyObject, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { calculateJwkThumbprint, decodeJwt, decodeProtectedHeader, type JWK } from 'jose';
import {
  compactJws,
  currentSigningKey,
  ed25519Signer,
  hs256Signer,
  nonCanonicalSpellings,
  type RawResponse,
  rawGet,
  rawRequest,
  startRecorder,
} from './support/jwt-forge.ts';
import { DEMO_PASSWORD, manualClock, startTestServer, type TestServer } from './support/server.ts';

const INVALID_TOKEN_CHALLENGE = 'Bearer realm="authlab", error="invalid_token"';
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'];

interface TokenPair {
  token_type: string;
  access_token: string;
  expires_in: number;
  refresh_token: string;
}

async function jwtLogin(server: TestServer, email: string, deviceName = 'forgery test'): Promise<TokenPair> {
  const response = await fetch(new URL('/jwt/login', server.url), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: DEMO_PASSWORD, device_name: deviceName }),
  });
  assert.equal(response.status, 200, await response.clone().text());
  return (await response.json()) as TokenPair;
}

async function getWith(server: TestServer, path: string, authorization: string) {
  const response = await fetch(new URL(path, server.url), { headers: { authorization } });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, body: text ? JSON.parse(text) : undefined };
}

async function assertAccepted(server: TestServer, token: string, label = 'genuine token') {
  const response = await getWith(server, '/api/me', `Bearer ${token}`);
  assert.equal(response.status, 200, `${label}: ${response.text}`);
  assert.equal(response.body.mode, 'jwt', label);
  return response.body as { sub: string; email: string; role: string; mode: string };
}

/** RFC 6750 §3.1: a token that was sent but is no good is a 401 with `error="invalid_token"`. */
async function assertRefused(server: TestServer, token: string, label: string) {
  const response = await getWith(server, '/api/me', `Bearer ${token}`);
  assert.equal(response.status, 401, `${label}: ${response.text}`);
  assert.equal(response.headers.get('www-authenticate'), INVALID_TOKEN_CHALLENGE, label);
  assert.equal(response.body.error, 'invalid_token', label);
}

/** Garbage must be a clean 4xx JSON answer (never a 500, never an HTML page). */
function assertCleanRefusal(response: RawResponse, label: string) {
  assert.ok(response.status === 401 || response.status === 400, `${label}: status ${response.status} ${response.body}`);
  assert.match(response.headers['content-type'] ?? '', /^application\/json/, label);
  assert.equal(typeof JSON.parse(response.body).error, 'string', label);
  if (response.status === 401)
    assert.match(response.headers['www-authenticate'] ?? '', /^Bearer realm="authlab"/, label);
}

/** The three base64url parts of a compact JWS, as sent. */
function partsOf(token: string): { header: string; payload: string; signature: string } {
  const [header = '', payload = '', signature = ''] = token.split('.');
  return { header, payload, signature };
}
const b64json = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('JWT mode: forged and malformed access tokens', () => {
  const clock = manualClock();
  let server: TestServer;
  let alice: TokenPair;
  let aliceMe: { sub: string };
  let bobSub: string;
  let real: { kid: string; privateKey: KeyObject; x: string };
  let realHeader: Record<string, unknown>;
  let realClaims: Record<string, unknown>;
  let attacker: { privateKey: KeyObject; publicJwk: JWK; kid: string };

  /** A token signed with the server's own current key: valid unless the changes make it not. */
  const signedWithRealKey = (claimChanges: object = {}, headerChanges: object = {}) =>
    compactJws({ ...realHeader, ...headerChanges }, { ...realClaims, ...claimChanges }, ed25519Signer(real.privateKey));

  before(async () => {
    server = await startTestServer({ clock });
    alice = await jwtLogin(server, 'alice@example.com');
    aliceMe = await assertAccepted(server, alice.access_token);
    bobSub = (await assertAccepted(server, (await jwtLogin(server, 'bob@example.com')).access_token)).sub;
    real = currentSigningKey(server.dataDir);
    realHeader = decodeProtectedHeader(alice.access_token) as Record<string, unknown>;
    realClaims = decodeJwt(alice.access_token) as Record<string, unknown>;
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const publicJwk = publicKey.export({ format: 'jwk' }) as JWK;
    attacker = { privateKey, publicJwk, kid: await calculateJwkThumbprint(publicJwk) };
  });
  after(() => server.stop());

  describe('the genuine article', () => {
    it('accepts a token from POST /jwt/login on /api/me with mode "jwt"', async () => {
      assert.equal(alice.token_type, 'Bearer');
      assert.equal(alice.expires_in, 900);
      const me = await assertAccepted(server, alice.access_token);
      assert.equal(me.email, 'alice@example.com');
    });

    it('issues a header of exactly {alg: EdDSA, kid, typ: at+jwt}', () => {
      assert.deepEqual(decodeProtectedHeader(alice.access_token), { alg: 'EdDSA', kid: real.kid, typ: 'at+jwt' });
    });

    it('issues the RFC 9068 claims plus role and sid, expiring 900 s after iat', () => {
      const claims = decodeJwt(alice.access_token);
      assert.equal(claims.iss, server.url);
      assert.equal(claims.aud, `${server.url}/api`);
      assert.equal(claims.sub, aliceMe.sub);
      assert.equal(claims.iat, Math.floor(clock() / 1000));
      assert.equal(claims.exp, (claims.iat as number) + 900);
      assert.match(String(claims.jti), /^\S{16,}$/);
      assert.equal(claims.role, 'user');
      assert.match(String(claims.sid), /^\S{16,}$/);
      assert.equal(typeof claims.client_id, 'string');
      assert.notEqual(claims.client_id, '');
    });

    it('accepts a token this test signs with the real key and unchanged claims (so every refusal below is the one change)', async () => {
      await assertAccepted(server, signedWithRealKey(), 're-signed copy');
    });

    it('publishes a cacheable JWKS of public members only, each kid its RFC 7638 thumbprint', async () => {
      const response = await fetch(new URL('/.well-known/jwks.json', server.url));
      assert.equal(response.status, 200);
      assert.match(response.headers.get('cache-control') ?? '', /\bmax-age=\d+/);
      const { keys } = (await response.json()) as { keys: JWK[] };
      assert.ok(keys.length >= 2, 'current and next keys');
      for (const key of keys) {
        for (const member of PRIVATE_MEMBERS) assert.equal(member in key, false, `${key.kid} has ${member}`);
        assert.equal(key.kid, await calculateJwkThumbprint(key));
      }
      const current = keys.find((key) => key.kid === real.kid);
      assert.equal(current?.x, real.x, 'the token kid is published with the key the test read from DATA_DIR');
    });
  });

  describe('signature and algorithm', () => {
    for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
      it(`refuses alg "${alg}" with an empty signature and with the original signature kept`, async () => {
        const header = b64json({ ...realHeader, alg });
        const { payload, signature } = partsOf(alice.access_token);
        await assertRefused(server, `${header}.${payload}.`, `${alg}, empty signature`);
        await assertRefused(server, `${header}.${payload}.${signature}`, `${alg}, old signature`);
      });
    }

    it('refuses an edited payload (role admin, or another user’s sub) under the original signature', async () => {
      const { header, signature } = partsOf(alice.access_token);
      for (const [label, changes] of [
        ['role admin', { role: 'admin' }],
        ['sub of bob', { sub: bobSub }],
      ] as const) {
        await assertRefused(server, `${header}.${b64json({ ...realClaims, ...changes })}.${signature}`, label);
      }
    });

    it('refuses HS256 keyed with the public key as JWK JSON, raw x bytes and PEM SPKI', async () => {
      const jwks = (await (await fetch(new URL('/.well-known/jwks.json', server.url))).json()) as { keys: JWK[] };
      const published = jwks.keys.find((key) => key.kid === real.kid) as JWK;
      const publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: real.x }, format: 'jwk' });
      const secrets: Array<[string, string | Buffer]> = [
        ['published JWK JSON', JSON.stringify(published)],
        ['minimal JWK JSON', JSON.stringify({ crv: 'Ed25519', kty: 'OKP', x: real.x })],
        ['raw 32 bytes of x', Buffer.from(real.x, 'base64url')],
        ['PEM SPKI', publicKey.export({ type: 'spki', format: 'pem' }).toString()],
      ];
      for (const [label, secret] of secrets) {
        const token = compactJws({ ...realHeader, alg: 'HS256' }, realClaims, hs256Signer(secret));
        await assertRefused(server, token, `HS256 with ${label}`);
      }
    });

    it('refuses a foreign Ed25519 key signing under the real kid', async () => {
      await assertRefused(
        server,
        compactJws(realHeader, realClaims, ed25519Signer(attacker.privateKey)),
        'foreign key',
      );
    });

    it('refuses alg values other than EdDSA over a real-key Ed25519 signature', async () => {
      for (const alg of ['Ed25519', 'eddsa', 'EDDSA', 'ES256', undefined]) {
        await assertRefused(server, signedWithRealKey({}, { alg }), `alg ${alg}`);
      }
    });

    it('refuses a critical header extension it does not understand (RFC 7515 §4.1.11)', async () => {
      await assertRefused(server, signedWithRealKey({}, { crit: ['x-authlab'], 'x-authlab': true }), 'crit');
    });
  });

  describe('key selection', () => {
    it('refuses an embedded jwk header carrying the attacker’s key', async () => {
      const signer = ed25519Signer(attacker.privateKey);
      const header = { alg: 'EdDSA', typ: 'at+jwt', jwk: attacker.publicJwk };
      await assertRefused(server, compactJws(header, realClaims, signer), 'jwk, no kid');
      await assertRefused(server, compactJws({ ...header, kid: attacker.kid }, realClaims, signer), 'jwk, own kid');
      await assertRefused(server, compactJws({ ...header, kid: real.kid }, realClaims, signer), 'jwk, real kid');
    });

    it('refuses jku and x5u headers and never fetches them', async () => {
      const recorder = await startRecorder(JSON.stringify({ keys: [{ ...attacker.publicJwk, kid: attacker.kid }] }));
      try {
        const signer = ed25519Signer(attacker.privateKey);
        for (const kid of [attacker.kid, real.kid]) {
          const base = { alg: 'EdDSA', typ: 'at+jwt', kid };
          await assertRefused(
            server,
            compactJws({ ...base, jku: `${recorder.url}/jwks.json` }, realClaims, signer),
            'jku',
          );
          await assertRefused(
            server,
            compactJws({ ...base, x5u: `${recorder.url}/cert.pem` }, realClaims, signer),
            'x5u',
          );
        }
        assert.deepEqual(recorder.requests, [], 'the server fetched an attacker URL');
      } finally {
        await recorder.close();
      }
    });

    it('refuses path-traversal, SQL, unknown, empty, numeric and missing kids (signed with the real key)', async () => {
      const kids = [
        '../../secrets/jwt-keys.json',
        "' OR 1=1 --",
        randomBytes(32).toString('base64url'),
        '',
        1,
        undefined,
      ];
      for (const kid of kids) await assertRefused(server, signedWithRealKey({}, { kid }), `kid ${JSON.stringify(kid)}`);
    });
  });

  describe('claims, each wrong alone under the real key', () => {
    it('refuses a wrong iss', async () => {
      const port = new URL(server.url).port;
      for (const iss of ['https://evil.example', `${server.url}/`, `http://localhost:${port}`]) {
        await assertRefused(server, signedWithRealKey({ iss }), `iss ${iss}`);
      }
    });

    it('refuses a wrong aud, including PUBLIC_URL without /api', async () => {
      for (const aud of [server.url, `${server.url}/api/`, 'https://evil.example/api', ['https://evil.example/api']]) {
        await assertRefused(server, signedWithRealKey({ aud }), `aud ${JSON.stringify(aud)}`);
      }
    });

    for (const claim of ['exp', 'jti', 'sub', 'sid', 'iat', 'iss', 'aud', 'role']) {
      it(`refuses a token without ${claim}`, async () => {
        await assertRefused(server, signedWithRealKey({ [claim]: undefined }), `no ${claim}`);
      });
    }

    it('refuses typ "JWT" and a missing typ (an ID-token-shaped JWT is not an access token)', async () => {
      await assertRefused(server, signedWithRealKey({}, { typ: 'JWT' }), 'typ JWT');
      await assertRefused(server, signedWithRealKey({}, { typ: undefined }), 'no typ');
    });

    it('refuses a token not yet valid: iat an hour ahead, or nbf an hour ahead', async () => {
      const now = Math.floor(clock() / 1000);
      await assertRefused(server, signedWithRealKey({ iat: now + 3600, exp: now + 4500 }), 'iat in the future');
      await assertRefused(server, signedWithRealKey({ nbf: now + 3600 }), 'nbf in the future');
    });

    it('refuses every other spelling of a genuine token: = padding, unused bits set (RFC 7515 §2, RFC 4648 §3.5)', async () => {
      const variants = nonCanonicalSpellings(alice.access_token);
      assert.ok(variants.length >= 4, `only ${variants.length} variants`);
      // Verified first, so it sits in the verified-token cache, which is read before the spelling check.
      await assertAccepted(server, alice.access_token, 'the genuine spelling, before its variants');
      for (const [what, token] of variants) await assertRefused(server, token, what);
      await assertAccepted(server, alice.access_token, 'the genuine spelling, after its variants');
    });

    it('refuses an otherwise valid token longer than 4096 characters', async () => {
      const token = signedWithRealKey({ padding: 'x'.repeat(4200) });
      assert.ok(token.length > 4096);
      await assertRefused(server, token, 'oversized token');
    });
  });

  describe('the wrong kind of token', () => {
    it('refuses a refresh token presented as a Bearer access token', async () => {
      await assertRefused(server, alice.refresh_token, 'refresh token as access token');
    });

    it('answers an access token sent to POST /jwt/refresh with 401 invalid_grant', async () => {
      const response = await fetch(new URL('/jwt/refresh', server.url), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ refresh_token: alice.access_token }),
      });
      assert.equal(response.status, 401);
      assert.equal(((await response.json()) as { error: string }).error, 'invalid_grant');
    });

    it('refuses an access token at once when its family is logged out', async () => {
      const pair = await jwtLogin(server, 'alice@example.com', 'to be logged out');
      await assertAccepted(server, pair.access_token);
      const logout = await fetch(new URL('/jwt/logout', server.url), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ refresh_token: pair.refresh_token }),
      });
      assert.equal(logout.status, 204);
      await assertRefused(server, pair.access_token, 'revoked family');
      await assertAccepted(server, alice.access_token, 'another device of the same user');
    });
  });

  describe('garbage Authorization headers', () => {
    const garbage = (): Array<[string, string | Buffer]> => [
      ['Bearer with nothing', 'Bearer'],
      ['Bearer and a space', 'Bearer '],
      ['two parts', 'Bearer a.b'],
      ['empty parts', 'Bearer ..'],
      ['five parts', 'Bearer a.b.c.d.e'],
      ['non-JSON header', `Bearer ${Buffer.from('not json at all').toString('base64url')}.x.y`],
      ['non-ASCII bytes', Buffer.concat([Buffer.from('Bearer '), Buffer.from([0xc3, 0xa9, 0xff, 0x80, 0x2e, 0xfe])])],
      ['a 5 KB token', `Bearer ${'a'.repeat(2500)}.${'b'.repeat(2500)}.c`],
      ['two spaces', `Bearer  ${alice.access_token}`],
      ['another scheme', `Basic ${Buffer.from('alice@example.com:x').toString('base64')}`],
    ];

    for (const path of ['/api/me', '/jwt/devices']) {
      it(`answers each on ${path} with a 401 or 400 JSON error, never a 500`, async () => {
        for (const [label, value] of garbage()) assertCleanRefusal(await rawGet(server.port, path, value), label);
      });

      it(`accepts a real token under the scheme spelled bearer or BEARER on ${path} (RFC 7235 §2.1)`, async () => {
        for (const scheme of ['bearer', 'BEARER']) {
          const response = await getWith(server, path, `${scheme} ${alice.access_token}`);
          assert.equal(response.status, 200, `${scheme}: ${response.text}`);
        }
      });
    }

    it('answers a 20 KB Authorization header with 431 headers_too_large and keeps serving', async () => {
      const request = `GET /api/me HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nAuthorization: Bearer ${'a'.repeat(20 * 1024)}\r\n\r\n`;
      const response = await rawRequest(server.port, Buffer.from(request));
      assert.equal(response.status, 431);
      assert.match(response.headers['content-type'] ?? '', /^application\/json/);
      assert.deepEqual(JSON.parse(response.body), { error: 'headers_too_large' });
      await assertAccepted(server, alice.access_token, 'the next request');
    });
  });
});

describe('JWT mode: access-token expiry on the injected clock', () => {
  const clock = manualClock();
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ clock });
  });
  after(() => server.stop());

  it('accepts a token 4 s past exp (inside the 5 s tolerance) and refuses it 6 s past', async () => {
    const { access_token: token } = await jwtLogin(server, 'alice@example.com');
    await assertAccepted(server, token, 'fresh');
    clock.advance((900 + 4) * 1000);
    await assertAccepted(server, token, '4 s past exp');
    clock.advance(2 * 1000);
    await assertRefused(server, token, '6 s past exp');
  });
});
