import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as oidc from 'openid-client';
import { signInWithOpenidClient, useServerAndThirdPartyApp } from './support/relying-party.ts';
import { Client } from './support/server.ts';

/**
 * UserInfo (OpenID Connect Core §5.3) answers the access tokens the provider issues: openid-client
 * calls it with the token of its own code exchange, as every relying party does, and gets the
 * claims the person consented to. Revoked or foreign tokens get RFC 6750's invalid_token.
 */
describe('UserInfo with the access tokens the provider issues', () => {
  const suite = useServerAndThirdPartyApp();

  it('is advertised, and answers openid-client with sub and the email the person consented to', async () => {
    assert.equal(suite.config.serverMetadata().userinfo_endpoint, `${suite.server.url}/oidc/me`);
    const { tokens } = await signInWithOpenidClient(suite.config, new Client(suite.server.url), {
      scope: 'openid email api',
    });
    const sub = tokens.claims()?.sub ?? '';
    const claims = await oidc.fetchUserInfo(suite.config, tokens.access_token, sub);
    assert.equal(claims.sub, sub);
    assert.equal(claims.email, 'alice@example.com');
    assert.equal(claims.email_verified, true);
  });

  it('gives only sub when email was not granted', async () => {
    const { tokens } = await signInWithOpenidClient(suite.config, new Client(suite.server.url), {
      scope: 'openid api',
    });
    const sub = tokens.claims()?.sub ?? '';
    const claims = await oidc.fetchUserInfo(suite.config, tokens.access_token, sub);
    assert.deepEqual(claims, { sub });
  });

  it('works for a token granted only openid (no api scope) too', async () => {
    const { tokens } = await signInWithOpenidClient(suite.config, new Client(suite.server.url), {
      scope: 'openid email',
    });
    const sub = tokens.claims()?.sub ?? '';
    assert.equal((await oidc.fetchUserInfo(suite.config, tokens.access_token, sub)).email, 'alice@example.com');
  });

  it('refuses a token whose grant was revoked (logout-all) with invalid_token', async () => {
    const { tokens } = await signInWithOpenidClient(suite.config, new Client(suite.server.url), {
      scope: 'openid email api',
    });
    const sub = tokens.claims()?.sub ?? '';
    const app = new Client(suite.server.url);
    const bearer = { authorization: `Bearer ${tokens.access_token}` };
    assert.equal((await app.json('/api/logout-all', { method: 'POST', headers: bearer })).status, 204);
    await assert.rejects(
      oidc.fetchUserInfo(suite.config, tokens.access_token, sub),
      (error: oidc.WWWAuthenticateChallengeError) => {
        assert.equal(error.status, 401);
        assert.equal(error.cause[0]?.parameters.error, 'invalid_token');
        return true;
      },
    );
  });

  it('refuses an ID token, a JWT-mode token and no token at all', async () => {
    const { tokens } = await signInWithOpenidClient(suite.config, new Client(suite.server.url), {
      scope: 'openid email api',
    });
    const app = new Client(suite.server.url);
    const idToken = await app.json('/oidc/me', { headers: { authorization: `Bearer ${tokens.id_token}` } });
    assert.equal(idToken.status, 401);
    assert.equal(idToken.body.error, 'invalid_token');
    assert.match(idToken.headers.get('www-authenticate') ?? '', /^Bearer .*error="invalid_token"/);
    const jwt = await app.json('/jwt/login', {
      method: 'POST',
      json: { email: 'alice@example.com', password: 'correct-horse-battery-staple' },
    });
    const jwtMode = await app.json('/oidc/me', { headers: { authorization: `Bearer ${jwt.body.access_token}` } });
    assert.equal(jwtMode.status, 401, 'a token of another issuer');
    const none = await app.json('/oidc/me');
    assert.equal(none.status, 401);
    assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer/);
  });
});
