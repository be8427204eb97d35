import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client, startTestServer, type TestServer } from './support/server.ts';

describe('server smoke', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.stop());

  it('answers /healthz with the store kind', async () => {
    const { status, body } = await new Client(server.url).json('/healthz');
    assert.equal(status, 200);
    assert.deepEqual(body, { status: 'ok', store: 'sqlite' });
  });

  it('signs alice in with a session and tells who she is at /api/me', async () => {
    const client = new Client(server.url);
    const login = await client.login();
    assert.equal(login.status, 200);
    assert.equal(login.body.user.email, 'alice@example.com');
    const me = await client.json('/api/me');
    assert.equal(me.status, 200);
    assert.equal(me.body.mode, 'session');
    assert.equal(me.body.email, 'alice@example.com');
  });
});
