import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Client, manualClock, startTestServer, type TestServer } from './support/server.ts';

interface NoteBody {
  id: string;
  text: string;
  ownerId: string;
  createdAt: string;
}

describe('protected API', () => {
  // A hand-moved clock gives notes distinct creation times, so "newest first" is well defined.
  const clock = manualClock();
  let server: TestServer;
  let alice: Client;
  let aliceId: string;
  let bob: Client;
  let admin: Client;
  before(async () => {
    server = await startTestServer({ clock });
    alice = new Client(server.url);
    bob = new Client(server.url);
    admin = new Client(server.url);
    const login = await alice.login('alice@example.com');
    assert.equal(login.status, 200);
    aliceId = login.body.user.id;
    assert.equal((await bob.login('bob@example.com')).status, 200);
    assert.equal((await admin.login('admin@example.com')).status, 200);
  });
  after(() => server.stop());

  async function create(client: Client, text: string): Promise<NoteBody> {
    const created = await client.json('/api/notes', { method: 'POST', json: { text } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    return created.body;
  }

  describe('GET /api/me', () => {
    it('answers sub, email, role and mode "session" for a session cookie', async () => {
      const me = await alice.json('/api/me');
      assert.equal(me.status, 200);
      assert.deepEqual(me.body, { sub: aliceId, email: 'alice@example.com', role: 'user', mode: 'session' });
      assert.equal((await admin.json('/api/me')).body.role, 'admin');
    });

    it('answers 401 with WWW-Authenticate: Bearer realm="authlab" without credentials', async () => {
      const me = await new Client(server.url).json('/api/me');
      assert.equal(me.status, 401);
      assert.equal(me.headers.get('www-authenticate'), 'Bearer realm="authlab"');
      assert.equal(typeof me.body.error, 'string');
    });

    it('lets the Bearer token alone decide when a cookie is sent too', async () => {
      const me = await alice.json('/api/me', { headers: { authorization: 'Bearer not-a-real-token' } });
      assert.equal(me.status, 401);
      assert.match(me.headers.get('www-authenticate') ?? '', /^Bearer realm="authlab"/);
      assert.match(me.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
      assert.equal(me.body.error, 'invalid_token');
      // The cookie itself is still good.
      assert.equal((await alice.json('/api/me')).status, 200);
    });
  });

  describe('notes', () => {
    it('creates a note: 201 with id, text, ownerId, createdAt and Location', async () => {
      const response = await alice.request('/api/notes', { method: 'POST', json: { text: 'buy milk' } });
      assert.equal(response.status, 201);
      const note = (await response.json()) as NoteBody;
      assert.deepEqual(Object.keys(note).sort(), ['createdAt', 'id', 'ownerId', 'text']);
      assert.equal(note.text, 'buy milk');
      assert.equal(note.ownerId, aliceId);
      assert.equal(new Date(note.createdAt).toISOString(), note.createdAt);
      assert.equal(response.headers.get('location'), `/api/notes/${note.id}`);
      const fetched = await alice.json(response.headers.get('location') ?? '');
      assert.equal(fetched.status, 200);
      assert.deepEqual(fetched.body, note);
    });

    it('lists only my notes, newest first', async () => {
      const fresh = new Client(server.url);
      assert.equal((await fresh.login('bob@example.com')).status, 200);
      const first = await create(fresh, 'first');
      clock.advance(1_000);
      const second = await create(fresh, 'second');
      clock.advance(1_000);
      const third = await create(fresh, 'third');
      clock.advance(1_000);
      await create(alice, 'not bob');
      const list = await fresh.json('/api/notes');
      assert.equal(list.status, 200);
      const ids = list.body.notes.map((n: NoteBody) => n.id);
      assert.deepEqual(
        ids.filter((id: string) => [first.id, second.id, third.id].includes(id)),
        [third.id, second.id, first.id],
      );
      assert.ok(list.body.notes.every((n: NoteBody) => n.ownerId === first.ownerId));
    });

    it('deletes a note with 204, after which it is 404', async () => {
      const note = await create(alice, 'short-lived');
      const deleted = await alice.request(`/api/notes/${note.id}`, { method: 'DELETE' });
      assert.equal(deleted.status, 204);
      assert.equal((await alice.json(`/api/notes/${note.id}`)).status, 404);
      assert.equal((await alice.json(`/api/notes/${note.id}`, { method: 'DELETE' })).status, 404);
      const list = await alice.json('/api/notes');
      assert.ok(!list.body.notes.some((n: NoteBody) => n.id === note.id));
    });

    it("answers 404 when bob reads or deletes alice's note, and the note survives", async () => {
      const note = await create(alice, "alice's secret");
      const read = await bob.json(`/api/notes/${note.id}`);
      assert.equal(read.status, 404);
      assert.equal(read.body.error, 'not_found');
      assert.ok(!JSON.stringify(read.body).includes("alice's secret"));
      const deleted = await bob.json(`/api/notes/${note.id}`, { method: 'DELETE' });
      assert.equal(deleted.status, 404);
      assert.deepEqual((await alice.json(`/api/notes/${note.id}`)).body, note);
      const bobList = await bob.json('/api/notes');
      assert.ok(!bobList.body.notes.some((n: NoteBody) => n.id === note.id));
    });

    it("lets an admin read and delete alice's note", async () => {
      const note = await create(alice, 'moderate me');
      const read = await admin.json(`/api/notes/${note.id}`);
      assert.equal(read.status, 200);
      assert.deepEqual(read.body, note);
      assert.equal((await admin.request(`/api/notes/${note.id}`, { method: 'DELETE' })).status, 204);
      assert.equal((await alice.json(`/api/notes/${note.id}`)).status, 404);
    });

    it('refuses empty, too long and non-string text with 400', async () => {
      const bad: unknown[] = [
        { text: '' },
        { text: '   ' },
        { text: 'x'.repeat(10_001) },
        { text: 42 },
        { text: null },
        { text: ['a'] },
        { text: { a: 1 } },
        {},
      ];
      for (const json of bad) {
        const response = await alice.json('/api/notes', { method: 'POST', json });
        assert.equal(response.status, 400, JSON.stringify(json).slice(0, 60));
        assert.equal(response.body.error, 'invalid_request');
        assert.match(response.body.error_description, /^text\b/);
      }
    });

    it('accepts text of exactly 10000 characters', async () => {
      const note = await create(alice, 'y'.repeat(10_000));
      assert.equal(note.text.length, 10_000);
    });

    it('answers 404 for a random or garbage note id', async () => {
      const ids = [
        randomUUID(),
        'not-an-id',
        encodeURIComponent("1' OR '1'='1"),
        '%00',
        'x'.repeat(2000),
        encodeURIComponent('../../etc/passwd'),
      ];
      for (const id of ids) {
        const read = await alice.json(`/api/notes/${id}`);
        assert.equal(read.status, 404, id.slice(0, 40));
        assert.equal(read.body.error, 'not_found');
        const deleted = await alice.json(`/api/notes/${id}`, { method: 'DELETE' });
        assert.equal(deleted.status, 404, `DELETE ${id.slice(0, 40)}`);
      }
    });
  });

  describe('POST /api/logout-all', () => {
    it("ends every one of the user's sessions at once", async () => {
      // legacy@example.com has no other part in this suite, so ending its sessions disturbs nothing.
      const first = new Client(server.url);
      const second = new Client(server.url);
      assert.equal((await first.login('legacy@example.com')).status, 200);
      assert.equal((await second.login('legacy@example.com')).status, 200);
      const response = await first.request('/api/logout-all', { method: 'POST' });
      assert.equal(response.status, 204);
      assert.equal((await first.json('/api/me')).status, 401);
      assert.equal((await second.json('/api/me')).status, 401);
      assert.equal((await alice.json('/api/me')).status, 200, "another user's session survives");
    });
  });
});
