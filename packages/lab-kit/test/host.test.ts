/** The lab host's runner routes (`/__lab/…`): every bad request gets a 4xx with a JSON error, never a 500. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { postJson } from '../src/request.ts';
import { type RunningLabServer, startLabServer } from '../src/target.ts';

let dir: string;
let server: RunningLabServer;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'authlab-host-test-'));
  writeFileSync(
    join(dir, 'server.ts'),
    'export default (lab) => (req, res) => res.end(JSON.stringify({ now: lab.clock() }));\n',
  );
  server = await startLabServer(dir);
});

after(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const now = async () => ((await (await fetch(server.url)).json()) as { now: number }).now;

test('advanceClock moves the clock the app sees', async () => {
  const before = await now();
  await server.advanceClock(3_600_000);
  assert.ok((await now()) >= before + 3_600_000);
});

test('bad bodies for POST /__lab/clock get 400 invalid_request, and leave the clock alone', async () => {
  const before = await now();
  const raw = (body: string) =>
    fetch(`${server.url}/__lab/clock`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const answers = [
    await raw('not json'),
    await raw('null'),
    await raw('[1]'),
    await raw(JSON.stringify({ advanceMs: 'a lot' })),
    await raw(JSON.stringify({ advanceMs: 'x'.repeat(2000) })),
    await postJson(server, '/__lab/clock', { advanceMs: -1 }),
    await postJson(server, '/__lab/clock', {}),
    // Past the largest Date: the clock would stop being a time (Infinity, after two of these).
    await postJson(server, '/__lab/clock', { advanceMs: 1e308 }),
  ];
  for (const [index, answer] of answers.entries()) {
    assert.equal(answer.status, 400, `bad body number ${index + 1}`);
    assert.equal(((await answer.json()) as { error: string }).error, 'invalid_request');
  }
  assert.ok((await now()) - before < 60_000, 'no bad request moved the clock');
});

test('unknown runner routes and wrong methods get 404 not_found', async () => {
  for (const answer of [
    await fetch(`${server.url}/__lab/clock`),
    await fetch(`${server.url}/__lab/health`, { method: 'POST' }),
    await fetch(`${server.url}/__lab/nothing`),
  ]) {
    assert.equal(answer.status, 404);
    assert.deepEqual(await answer.json(), { error: 'not_found' });
  }
});
