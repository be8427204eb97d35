import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { signInWithOpenidClient, thirdPartyApp } from './support/relying-party.ts';
import { Client, startTestServer, type TestServer } from './support/server.ts';

/**
 * ID tokens in RS256 for clients that register no algorithm (OIDC Discovery §3 and Core §15.1
 * make RS256 the one every relying party can verify: .NET, older Keycloak, jsonwebtoken-era
 * libraries know no EdDSA), EdDSA for clients that register it; the key ring rotates both.
 * The relying party is openid-client pinned to RS256, as such an RP is; the verifier jose with
 * the provider's remote JWKS.
 */
describe('ID token algorithms: RS256 by default, EdDSA per client', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.stop());

  const issuer = () => `${server.url}/oidc`;
  /** authlab-playground registers no algorithm; this RP accepts RS256 and nothing else. */
  const rs256OnlyApp = () =>
    oidc.discovery(new URL(issuer()), 'authlab-playground', { id_token_signed_response_alg: 'RS256' }, oidc.None(), {
      execute: [oidc.allowInsecureRequests],
    });
  const signInRs256 = async () =>
    signInWithOpenidClient(await rs256OnlyApp(), new Client(server.url), {
      scope: 'openid email',
      redirectUri: `${server.url}/oidc-flow/callback`,
    });
  const verifyIdToken = (token: string, audience: string, algorithms: string[]) =>
    jwtVerify(token, createRemoteJWKSet(new URL(`${issuer()}/jwks`)), { issuer: issuer(), audience, algorithms });

  it('lists RS256 in discovery (OIDC Discovery §3 requires it), and EdDSA', async () => {
    const metadata = (await rs256OnlyApp()).serverMetadata();
    assert.deepEqual([...(metadata.id_token_signing_alg_values_supported ?? [])].sort(), ['EdDSA', 'RS256']);
  });

  it('signs the ID token of a client that registered no algorithm with RS256, which an RS256-only RP accepts', async () => {
    const { tokens } = await signInRs256();
    const idToken = tokens.id_token ?? '';
    assert.equal(decodeProtectedHeader(idToken).alg, 'RS256');
    const { payload } = await verifyIdToken(idToken, 'authlab-playground', ['RS256']);
    assert.equal(payload.sub, tokens.claims()?.sub);
    assert.equal(payload.email, 'alice@example.com');
  });

  it('still signs EdDSA for a client that registered it (authlab-desktop), and its access token stays EdDSA', async () => {
    const { tokens } = await signInWithOpenidClient(await thirdPartyApp(server.url), new Client(server.url));
    assert.equal(decodeProtectedHeader(tokens.id_token ?? '').alg, 'EdDSA');
    await verifyIdToken(tokens.id_token ?? '', 'authlab-desktop', ['EdDSA']);
    assert.equal(decodeProtectedHeader(tokens.access_token).alg, 'EdDSA');
  });

  it('rotates the RS256 key with the EdDSA one; ID tokens signed before still verify', async () => {
    const before = (await signInRs256()).tokens.id_token ?? '';
    const beforeDesktop = (await signInWithOpenidClient(await thirdPartyApp(server.url), new Client(server.url)))
      .tokens;
    // Forced: the ring is seconds old (key-rotation-cached-jwks.test.ts pins the wait).
    server.deps.oidcKeyRing.rotate({ force: true });
    const after = (await signInRs256()).tokens.id_token ?? '';
    const afterDesktop = (await signInWithOpenidClient(await thirdPartyApp(server.url), new Client(server.url))).tokens;
    assert.notEqual(decodeProtectedHeader(after).kid, decodeProtectedHeader(before).kid, 'a new RS256 key');
    assert.notEqual(
      decodeProtectedHeader(afterDesktop.id_token ?? '').kid,
      decodeProtectedHeader(beforeDesktop.id_token ?? '').kid,
      'a new EdDSA key',
    );
    await verifyIdToken(before, 'authlab-playground', ['RS256']);
    await verifyIdToken(after, 'authlab-playground', ['RS256']);
  });
});
