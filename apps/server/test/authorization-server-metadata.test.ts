import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import * as oauth from 'oauth4webapi';
import { jwtLogin } from './support/jwt.ts';
import { signInWithOpenidClient, thirdPartyApp } from './support/relying-party.ts';
import { Client, startTestServer, type TestServer } from './support/server.ts';

/**
 * A resource server configured with nothing but an issuer finds its keys: oauth4webapi fetches
 * RFC 8414 metadata (`/.well-known/oauth-authorization-server` + the issuer's path, §3.1, and
 * checks `issuer`, §3.3), then jose's createRemoteJWKSet verifies real tokens with the `jwks_uri`
 * it names. For both issuers: the OpenID Provider (`PUBLIC_URL/oidc`) and the JWT mode (`PUBLIC_URL`).
 */
describe('RFC 8414 authorization server metadata for both issuers', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.stop());

  async function metadataOf(issuer: string) {
    const issuerUrl = new URL(issuer);
    const response = await oauth.discoveryRequest(issuerUrl, {
      algorithm: 'oauth2',
      [oauth.allowInsecureRequests]: true,
    });
    assert.equal(
      new URL(response.url).pathname,
      `/.well-known/oauth-authorization-server${issuerUrl.pathname === '/' ? '' : issuerUrl.pathname}`,
    );
    return oauth.processDiscoveryResponse(issuerUrl, response);
  }

  it('serves the OpenID Provider at /.well-known/oauth-authorization-server/oidc, and its JWKS verifies an API token', async () => {
    const issuer = `${server.url}/oidc`;
    const metadata = await metadataOf(issuer);
    assert.equal(metadata.issuer, issuer);
    assert.equal(metadata.token_endpoint, `${issuer}/token`);
    assert.ok(metadata.jwks_uri);

    const { tokens } = await signInWithOpenidClient(await thirdPartyApp(server.url), new Client(server.url));
    const jwks = createRemoteJWKSet(new URL(metadata.jwks_uri));
    const { payload, protectedHeader } = await jwtVerify(tokens.access_token, jwks, {
      issuer,
      audience: `${server.url}/api`,
      typ: 'at+jwt',
    });
    assert.equal(protectedHeader.typ, 'at+jwt');
    assert.equal(payload.sub, tokens.claims()?.sub);
  });

  it("serves the JWT mode's metadata at its issuer, PUBLIC_URL, and its JWKS verifies a JWT-mode token", async () => {
    const metadata = await metadataOf(server.url);
    assert.equal(metadata.issuer, server.url);
    assert.equal(metadata.jwks_uri, `${server.url}/.well-known/jwks.json`);

    const login = await jwtLogin(server.url, 'alice@example.com');
    assert.equal(login.status, 200);
    const jwks = createRemoteJWKSet(new URL(metadata.jwks_uri ?? ''));
    const { payload } = await jwtVerify(login.body.access_token, jwks, {
      issuer: server.url,
      audience: `${server.url}/api`,
      typ: 'at+jwt',
    });
    assert.equal(payload.role, 'user');
  });

  it('keeps the two issuers apart: the JWT mode metadata does not name the provider keys', async () => {
    const jwtMode = await metadataOf(server.url);
    const provider = await metadataOf(`${server.url}/oidc`);
    assert.notEqual(jwtMode.jwks_uri, provider.jwks_uri);
  });
});
