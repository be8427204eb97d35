import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { signInWithOpenidClient, useServerAndThirdPartyApp } from './support/relying-party.ts';
import { Client } from './support/server.ts';

/**
 * The API honours what the person consented to: `/api/*` needs the `api` scope (the consent page's
 * "read and write your notes"); a token granted only `openid` ("know who you are") is refused
 * with RFC 6750 §3.1's insufficient_scope. The tokens come from openid-client, not our code.
 */
describe('OIDC access tokens reach the API only with the api scope', () => {
  const suite = useServerAndThirdPartyApp();

  const call = (token: string, path: string, init: Parameters<Client['json']>[1] = {}) =>
    new Client(suite.server.url).json(path, { ...init, headers: { authorization: `Bearer ${token}` } });

  function assertInsufficientScope(answer: Awaited<ReturnType<typeof call>>) {
    assert.equal(answer.status, 403, JSON.stringify(answer.body));
    assert.equal(answer.body.error, 'insufficient_scope');
    assert.equal(
      answer.headers.get('www-authenticate'),
      'Bearer realm="authlab", error="insufficient_scope", scope="api"',
    );
  }

  it('refuses a token granted only openid at every API route, writes included, with 403 insufficient_scope', async () => {
    const { tokens } = await signInWithOpenidClient(suite.config, new Client(suite.server.url), { scope: 'openid' });
    assert.ok(!(tokens.scope ?? '').split(' ').includes('api'), `granted: ${tokens.scope}`);
    assertInsufficientScope(await call(tokens.access_token, '/api/notes', { method: 'POST', json: { text: 'hi' } }));
    assertInsufficientScope(await call(tokens.access_token, '/api/notes'));
    assertInsufficientScope(await call(tokens.access_token, '/api/me'));
    assertInsufficientScope(await call(tokens.access_token, '/api/logout-all', { method: 'POST' }));
  });

  it('refuses openid email too: the email scope is about the ID token, not the API', async () => {
    const { tokens } = await signInWithOpenidClient(suite.config, new Client(suite.server.url), {
      scope: 'openid email',
    });
    assertInsufficientScope(await call(tokens.access_token, '/api/notes', { method: 'POST', json: { text: 'hi' } }));
  });

  it('lets a token granted api read and write notes', async () => {
    const { tokens } = await signInWithOpenidClient(suite.config, new Client(suite.server.url), {
      scope: 'openid api',
    });
    const created = await call(tokens.access_token, '/api/notes', { method: 'POST', json: { text: 'scoped' } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const listed = await call(tokens.access_token, '/api/notes');
    assert.equal(listed.status, 200);
    assert.ok(listed.body.notes.some((note: { text: string }) => note.text === 'scoped'));
  });

  it('keeps a refused token a refused token: an unknown one is still 401 invalid_token, not 403', async () => {
    const { tokens } = await signInWithOpenidClient(suite.config, new Client(suite.server.url), { scope: 'openid' });
    const tampered = `${tokens.access_token.slice(0, -4)}AAAA`;
    const answer = await call(tampered, '/api/me');
    assert.equal(answer.status, 401);
    assert.equal(answer.body.error, 'invalid_token');
  });
});
