import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { authorize, tokenRequest } from './support/oidc.ts';
import { Client, startTestServer, type TestServer } from './support/server.ts';

describe('OIDC authorization code + PKCE for the native client', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.stop());

  it('signs alice in through login and consent, and the API accepts the access token as oidc', async () => {
    const browser = new Client(server.url);
    const result = await authorize(browser);
    assert.ok(result.url, `expected a redirect to the loopback client, got ${result.status} ${result.body}`);
    assert.equal(result.params?.get('state'), result.state);
    assert.equal(result.params?.get('iss'), `${server.url}/oidc`, 'RFC 9207 iss in the authorization response');
    const code = result.params?.get('code') ?? '';

    const app = new Client(server.url);
    const tokens = await tokenRequest(app, {
      grant_type: 'authorization_code',
      code,
      redirect_uri: result.redirectUri,
      code_verifier: result.verifier,
    });
    assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
    assert.ok(tokens.body.refresh_token, 'offline_access gives a refresh token');
    const header = decodeProtectedHeader(tokens.body.access_token);
    assert.equal(header.alg, 'EdDSA');
    assert.equal(header.typ, 'at+jwt');
    const claims = decodeJwt(tokens.body.access_token);
    assert.equal(claims.aud, `${server.url}/api`);
    assert.equal(typeof claims.gid, 'string');

    const me = await app.json('/api/me', { headers: { authorization: `Bearer ${tokens.body.access_token}` } });
    assert.equal(me.status, 200, JSON.stringify(me.body));
    assert.equal(me.body.mode, 'oidc');
    assert.equal(me.body.email, 'alice@example.com');

    const idToken = await app.json('/api/me', { headers: { authorization: `Bearer ${tokens.body.id_token}` } });
    assert.equal(idToken.status, 401, 'an ID token is not an access token');

    const logoutAll = await app.json('/api/logout-all', {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.body.access_token}` },
    });
    assert.equal(logoutAll.status, 204);
    const after = await app.json('/api/me', { headers: { authorization: `Bearer ${tokens.body.access_token}` } });
    assert.equal(after.status, 401, 'logout-all revokes the grant, so its access token dies at once');
  });
});
