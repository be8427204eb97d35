/**
 * The join handshake over real HTTP, with a recording proxy standing for the class wifi: what a
 * listener sees, what a wrong code gets, and what someone in the middle without the code gets.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, test } from 'node:test';
import type { RunningClassBoard } from '../src/class/class-server.ts';
import { normaliseCode } from '../src/class/codes.ts';
import { ephemeralKey } from '../src/class/join-handshake.ts';
import { boardUrl, ClassError, joinBoard, sendReport } from '../src/class/participant.ts';
import { JOIN_CODE, PASSWORD_STORAGE as LAB, serveTestBoard } from './support/class-board.ts';
import { recordingProxy } from './support/recording-proxy.ts';

let running: RunningClassBoard;
let base: string;

beforeEach(async () => {
  running = await serveTestBoard();
  base = `http://127.0.0.1:${running.port}`;
});
afterEach(() => running.close());

const names = () => running.board.instructorView().participants.map((p) => p.name);

async function refusedWith(join: Promise<unknown>): Promise<string> {
  const error = await join.then(
    () => assert.fail('the join went through'),
    (error: unknown) => error,
  );
  assert.ok(error instanceof ClassError, String(error));
  return error.code;
}

test('a recorded join and report carry neither the join code nor the report key, and the derived key signs reports', async () => {
  const wifi = await recordingProxy(base);
  try {
    const ada = await joinBoard(wifi.url, JOIN_CODE, 'Ada');
    await sendReport(ada, [
      {
        lab: LAB.id,
        status: 'started',
        startedAt: new Date().toISOString(),
        solvedAt: null,
        hintsUsed: 1,
        workHash: null,
      },
    ]);
    assert.deepEqual(
      wifi.exchanges.map((e) => `${e.path} ${e.status}`),
      ['/join/start 200', '/join/finish 201', '/report 204'],
    );
    const seen = wifi.exchanges
      .map((e) => `${e.request}\n${JSON.stringify(e.requestHeaders)}\n${e.response}`)
      .join('\n');
    const key = Buffer.from(ada.key, 'base64url');
    for (const secret of [JOIN_CODE, normaliseCode(JOIN_CODE), ada.key, key.toString('hex'), key.toString('base64')]) {
      assert.ok(!seen.toLowerCase().includes(secret.toLowerCase()), `${secret} crossed the network`);
    }
    assert.equal(running.board.instructorView().participants[0]?.labs[LAB.id]?.hintsUsed, 1);
  } finally {
    await wifi.close();
  }
});

test('a wrong code fails the proof: 401, nobody recorded, and the attempt cannot be retried', async () => {
  const wifi = await recordingProxy(base);
  try {
    assert.equal(await refusedWith(joinBoard(wifi.url, 'ABCD-EFGH-JKMP', 'Mallory')), 'invalid_code');
    assert.deepEqual(names(), []);
    const finish = wifi.exchanges.find((e) => e.path === '/join/finish');
    assert.equal(finish?.status, 401);
    // The same finish again (say, with the proof of a code guessed later) finds no join to finish.
    const again = await fetch(`${base}/join/finish`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: finish?.request,
    });
    assert.equal(again.status, 400);
    assert.equal(((await again.json()) as { error: string }).error, 'unknown_join');
    assert.deepEqual(names(), []);
  } finally {
    await wifi.close();
  }
});

test('someone in the middle who swaps the board’s key, without the code, makes the join fail', async () => {
  const mallory = ephemeralKey();
  const wifi = await recordingProxy(base, (path, status, body) =>
    path === '/join/start' && status === 200 ? JSON.stringify({ ...JSON.parse(body), key: mallory.publicKey }) : body,
  );
  try {
    assert.equal(await refusedWith(joinBoard(wifi.url, JOIN_CODE, 'Ada')), 'invalid_code');
    assert.deepEqual(names(), []);
  } finally {
    await wifi.close();
  }
});

test('someone posing as the board, without the code, cannot make a runner join it', async () => {
  const fake = createServer((req, res) => {
    const answer =
      req.url === '/join/start'
        ? {
            status: 200,
            body: {
              participant: 'P'.repeat(22),
              key: ephemeralKey().publicKey,
              nonce: 'N'.repeat(22),
              salt: 'S'.repeat(22),
            },
          }
        : { status: 201, body: { proof: 'A'.repeat(43) } };
    req
      .resume()
      .on('end', () =>
        res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body)),
      );
  });
  await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = fake.address() as AddressInfo;
    assert.equal(await refusedWith(joinBoard(`http://127.0.0.1:${port}`, JOIN_CODE, 'Ada')), 'board_not_proven');
  } finally {
    fake.close();
  }
});

test('an address that is not host:port, or a port past 65535, is refused before anything is sent; an unreachable board is named with its cause', async () => {
  for (const address of ['board.local', 'http://10.0.0.2:4700', '10.0.0.2:99999', '10.0.0.2:4700/x']) {
    assert.throws(
      () => boardUrl(address),
      (error) => error instanceof ClassError && error.code === 'invalid_address',
    );
  }
  assert.equal(boardUrl('[::1]:4700'), 'http://[::1]:4700');
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const { port } = closed.address() as AddressInfo;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  const error = await joinBoard(`http://127.0.0.1:${port}`, JOIN_CODE, 'Ada').catch((e: unknown) => e);
  assert.ok(error instanceof ClassError && error.code === 'board_unreachable', String(error));
  assert.match(error.message, /\(ECONNREFUSED\)/);
});
