/**
 * The instructor unlock against a real class board over HTTP (127.0.0.1, injected clock): the
 * board checks the instructor code without it crossing the network, records who used it, and
 * rate-limits guesses like join codes. The CLI side is in class-cli.test.ts.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, test } from 'node:test';
import type { RunningClassBoard } from '../src/class/class-server.ts';
import { normaliseCode } from '../src/class/codes.ts';
import { ClassError, joinBoard, type Membership, unlockWithBoard } from '../src/class/participant.ts';
import { INSTRUCTOR_CODE, JOIN_CODE, PASSWORD_STORAGE, START, serveTestBoard } from './support/class-board.ts';
import { type RecordingProxy, recordingProxy } from './support/recording-proxy.ts';

const LAB = PASSWORD_STORAGE.id;

let clock = START;
let running: RunningClassBoard;
let wifi: RecordingProxy;
let ada: Membership;

beforeEach(async () => {
  clock = START;
  running = await serveTestBoard({ now: () => clock });
  wifi = await recordingProxy(`http://127.0.0.1:${running.port}`);
  ada = await joinBoard(wifi.url, JOIN_CODE, 'Ada');
});
afterEach(async () => {
  await wifi.close();
  await running.close();
});

const unlocksOfAda = () =>
  running.board.instructorView().participants.find((p) => p.name === 'Ada')?.instructorUnlocks ?? [];

test('the right instructor code unlocks and the board records it on the participant’s row; a wrong one does neither', async () => {
  assert.equal(await unlockWithBoard(ada, 'QRST-VWXY-Z012-3456-789B', LAB, clock), false);
  assert.deepEqual(unlocksOfAda(), []);
  assert.equal(await unlockWithBoard(ada, INSTRUCTOR_CODE.toLowerCase(), LAB, clock), true);
  assert.deepEqual(unlocksOfAda(), [{ lab: LAB, at: new Date(START).toISOString() }]);
  const base = `http://127.0.0.1:${running.port}`;
  const board = await fetch(`${base}/board.json`, { headers: { authorization: `Bearer ${INSTRUCTOR_CODE}` } });
  assert.match(await board.text(), /"instructorUnlocks":\[\{"lab":"01-password-storage"/);
  const login = await fetch(`${base}/login`, {
    method: 'POST',
    body: new URLSearchParams({ code: INSTRUCTOR_CODE }),
    redirect: 'manual',
  });
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] as string;
  const page = await (await fetch(`${base}/`, { headers: { cookie } })).text();
  assert.match(page, /<th>unlocked<\/th>/);
  assert.match(page, /<th scope="row">Ada<\/th><td>0<\/td><td class="tampered" title="last [^"]+">01<\/td>/);
});

test('the instructor code never crosses the network, and a recorded unlock cannot be replayed', async () => {
  assert.equal(await unlockWithBoard(ada, INSTRUCTOR_CODE, LAB, clock), true);
  const unlock = wifi.exchanges.find((e) => e.path === '/unlock');
  assert.ok(unlock);
  const seen = `${unlock.request}${JSON.stringify(unlock.requestHeaders)}${unlock.response}`.toUpperCase();
  assert.ok(!seen.includes(INSTRUCTOR_CODE) && !seen.includes(normaliseCode(INSTRUCTOR_CODE)));
  const replayed = await fetch(`http://127.0.0.1:${running.port}/unlock`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'authlab-signature': unlock.requestHeaders['authlab-signature'] as string,
    },
    body: unlock.request,
  });
  assert.equal(replayed.status, 409);
  assert.equal(((await replayed.json()) as { error: string }).error, 'replayed_report');
  assert.equal(unlocksOfAda().length, 1);
});

test('guessing the instructor code: after five wrong codes the address gets 429 (JSON), the right code included', async () => {
  for (let i = 0; i < 5; i++) assert.equal(await unlockWithBoard(ada, `WRONG-${i}`, LAB, clock), false);
  const error = await unlockWithBoard(ada, INSTRUCTOR_CODE, LAB, clock).catch((error: unknown) => error);
  assert.ok(error instanceof ClassError);
  assert.equal(error.code, 'too_many_attempts');
  const locked = wifi.exchanges.at(-1);
  assert.equal(locked?.status, 429);
  assert.equal(JSON.parse(locked?.response ?? '{}').error, 'too_many_attempts');
  assert.deepEqual(unlocksOfAda(), []);
  clock += 61_000;
  assert.equal(await unlockWithBoard(ada, INSTRUCTOR_CODE, LAB, clock), true);
});

test('an unsigned or foreign-signed unlock is 401 without looking at the code', async () => {
  const forged = await fetch(`http://127.0.0.1:${running.port}/unlock`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'authlab-signature': 'A'.repeat(43) },
    body: JSON.stringify({
      participant: ada.participant,
      sentAt: clock,
      nonce: 'N'.repeat(22),
      lab: LAB,
      proof: 'A'.repeat(43),
    }),
  });
  assert.equal(forged.status, 401);
  assert.equal(((await forged.json()) as { error: string }).error, 'invalid_signature');
});

test('a board that cannot prove the instructor code (a fake one answering "yes") unlocks nothing', async () => {
  const fake = createServer((req, res) => {
    req
      .resume()
      .on('end', () =>
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ proof: 'A'.repeat(43) })),
      );
  });
  await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = fake.address() as AddressInfo;
    assert.equal(
      await unlockWithBoard({ ...ada, board: `http://127.0.0.1:${port}` }, INSTRUCTOR_CODE, LAB, clock),
      false,
    );
  } finally {
    fake.close();
  }
});
