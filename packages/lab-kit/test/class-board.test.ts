/**
 * The class board over real HTTP on 127.0.0.1 (a random port), with an injected clock: who may
 * join, report and read what, and how every bad request is refused with a 4xx JSON code.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { request } from 'node:http';
import { connect } from 'node:net';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { launchLabBrowser } from '../src/browser.ts';
import type { Participant } from '../src/class/class-board.ts';
import type { RunningClassBoard } from '../src/class/class-server.ts';
import { ephemeralKey } from '../src/class/join-handshake.ts';
import { ClassError, joinBoard, type Membership, sendReport } from '../src/class/participant.ts';
import { type LabReport, signedReport } from '../src/class/protocol.ts';
import { INSTRUCTOR_CODE, JOIN_CODE, START, serveTestBoard } from './support/class-board.ts';

const LABS = [
  { id: '01-password-storage', title: 'Password storage', hintTiers: 3 },
  { id: '04-csrf', title: 'CSRF', hintTiers: 3 },
];

let clock = START;
let running: RunningClassBoard;
let base: string;

beforeEach(async () => {
  clock = START;
  running = await serveTestBoard({ labs: LABS, now: () => clock });
  base = `http://127.0.0.1:${running.port}`;
});
afterEach(() => running.close());

const postJson = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

const join = (name: string, code = JOIN_CODE): Promise<Membership> => joinBoard(base, code, name);

/** The code of the ClassError a join is refused with. */
async function joinRefused(name: string, code: string): Promise<string> {
  const error = await joinBoard(base, code, name).then(
    () => assert.fail('the join went through'),
    (error: unknown) => error,
  );
  assert.ok(error instanceof ClassError, String(error));
  return error.code;
}

/** A join's first step by hand: what a participant's runner sends, with a fresh key. */
const startJoin = (name: string, extra: Record<string, unknown> = {}) =>
  postJson('/join/start', { name, key: ephemeralKey().publicKey, ...extra });

const lab = (id: string, change: Partial<LabReport> = {}): LabReport => ({
  lab: id,
  status: 'started',
  startedAt: new Date(START).toISOString(),
  solvedAt: null,
  hintsUsed: 0,
  workHash: null,
  ...change,
});

async function instructorView(): Promise<{ participants: Participant[] }> {
  const response = await fetch(`${base}/board.json`, { headers: { authorization: `Bearer ${INSTRUCTOR_CODE}` } });
  assert.equal(response.status, 200);
  return (await response.json()) as { participants: Participant[] };
}

async function assertRefused(response: Response, status: number, error: string): Promise<void> {
  assert.equal(response.status, status);
  assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
  assert.equal(((await response.json()) as { error: string }).error, error);
}

describe('joining and reporting', () => {
  test('two participants report; the instructor view shows both with their labs', async () => {
    const ada = await join('Ada');
    const grace = await join('Grace');
    await sendReport(ada, [lab('01-password-storage', { hintsUsed: 2 })], clock);
    const solvedAt = new Date(START + 600_000).toISOString();
    await sendReport(grace, [lab('04-csrf', { status: 'solved', solvedAt, workHash: 'f'.repeat(64) })], clock);
    const { participants } = await instructorView();
    assert.deepEqual(
      participants.map((p) => p.name),
      ['Ada', 'Grace'],
    );
    assert.equal(participants[0]?.labs['01-password-storage']?.hintsUsed, 2);
    assert.equal(participants[1]?.labs['04-csrf']?.status, 'solved');
    assert.equal(participants[1]?.labs['04-csrf']?.solvedAt, solvedAt);
  });

  test('a wrong join code is 401 and records nobody', async () => {
    assert.equal(await joinRefused('Mallory', 'ABCD-EFGH-JKMP'), 'invalid_code');
    assert.deepEqual((await instructorView()).participants, []);
  });

  test('the code is read as typed aloud: case, dashes, I/L for 1 and O for 0 do not matter', async () => {
    assert.equal((await join('Ada', 'abcdefghjkmn')).name, 'Ada');
  });

  test('after five wrong codes the address waits (429, Retry-After), the right code included, until the window passes', async () => {
    for (let i = 0; i < 5; i++) assert.equal(await joinRefused('Mallory', `WRONG-${i}`), 'invalid_code');
    const locked = await startJoin('Mallory');
    assert.equal(locked.status, 429);
    assert.ok(Number(locked.headers.get('retry-after')) > 0);
    await assertRefused(locked, 429, 'too_many_attempts');
    assert.equal(await joinRefused('Mallory', JOIN_CODE), 'too_many_attempts');
    clock += 61_000;
    assert.equal((await join('Mallory')).name, 'Mallory');
  });

  test('a second participant cannot take a name already on the board', async () => {
    await join('Ada');
    await assertRefused(await startJoin('ada'), 409, 'name_taken');
  });

  test('a report signed with another participant’s key, or for nobody, is 401 and changes nothing', async () => {
    const ada = await join('Ada');
    const mallory = await join('Mallory');
    // Mallory holds the join code and her own key, and claims Ada solved lab 04.
    const forged = signedReport(
      { participant: ada.participant, key: mallory.key },
      [lab('04-csrf', { status: 'solved' })],
      clock,
    );
    await assertRefused(
      await postJson('/report', forged.body, { 'authlab-signature': forged.signature }),
      401,
      'invalid_signature',
    );
    const unsigned = signedReport(ada, [lab('04-csrf')], clock);
    await assertRefused(await postJson('/report', unsigned.body), 401, 'invalid_signature');
    assert.deepEqual((await instructorView()).participants[0]?.labs, {});
  });

  test('a replayed report is refused, and an older report never undoes a newer one', async () => {
    const ada = await join('Ada');
    const first = signedReport(ada, [lab('01-password-storage', { hintsUsed: 1 })], clock);
    assert.equal((await postJson('/report', first.body, { 'authlab-signature': first.signature })).status, 204);
    clock += 1000;
    await sendReport(ada, [lab('01-password-storage', { hintsUsed: 2 })], clock);
    await assertRefused(
      await postJson('/report', first.body, { 'authlab-signature': first.signature }),
      409,
      'replayed_report',
    );
    const late = signedReport(ada, [lab('01-password-storage', { hintsUsed: 1 })], clock - 500);
    assert.equal((await postJson('/report', late.body, { 'authlab-signature': late.signature })).status, 204);
    assert.equal((await instructorView()).participants[0]?.labs['01-password-storage']?.hintsUsed, 2);
  });

  test('a report from outside the five-minute window is refused', async () => {
    const ada = await join('Ada');
    const old = signedReport(ada, [lab('01-password-storage')], clock - 6 * 60_000);
    await assertRefused(
      await postJson('/report', old.body, { 'authlab-signature': old.signature }),
      401,
      'stale_report',
    );
    assert.deepEqual((await instructorView()).participants[0]?.labs, {});
  });
});

/** A POST through node:http, so the body can arrive in chunks with no Content-Length. */
function chunkedPost(path: string, chunks: Buffer[]): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${base}${path}`,
      { method: 'POST', headers: { 'content-type': 'application/json' } },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

describe('bad requests get a 4xx JSON code, never a 500', () => {
  test('an oversized body is 413, whether announced or streamed', async () => {
    await assertRefused(await postJson('/join/start', 'x'.repeat(17 * 1024)), 413, 'body_too_large');
    const streamed = await chunkedPost(
      '/report',
      Array.from({ length: 20 }, () => Buffer.alloc(1024, 0x20)),
    );
    assert.equal(streamed.status, 413);
    assert.equal(JSON.parse(streamed.body).error, 'body_too_large');
  });

  test('malformed, mistyped and out-of-range bodies are 400 or 415', async () => {
    const ada = await join('Ada');
    await assertRefused(await postJson('/join/start', '{"name":'), 400, 'invalid_request');
    await assertRefused(await postJson('/join/start', '{"status":200,"error":"x"}'), 400, 'invalid_request');
    await assertRefused(await startJoin('Eve', { admin: true }), 400, 'invalid_request');
    await assertRefused(await startJoin('A\u0000da'), 400, 'invalid_request');
    await assertRefused(await startJoin('x'.repeat(41)), 400, 'invalid_request');
    // The all-zero X25519 point: a shared secret everybody knows (RFC 7748 §6.1).
    await assertRefused(await startJoin('Eve', { key: 'A'.repeat(43) }), 400, 'invalid_key');
    await assertRefused(
      await postJson('/join/finish', { participant: 'A'.repeat(22), proof: 'A'.repeat(43) }),
      400,
      'unknown_join',
    );
    await assertRefused(await postJson('/report', '[]'), 400, 'invalid_request');
    await assertRefused(await postJson('/report', Buffer.from([0x7b, 0xff, 0x7d])), 400, 'invalid_request');
    const form = await fetch(`${base}/join/start`, {
      method: 'POST',
      body: new URLSearchParams({ name: 'Eve', key: ephemeralKey().publicKey }),
    });
    await assertRefused(form, 415, 'unsupported_media_type');
    const unknownLab = signedReport(ada, [lab('99-nothing')], clock);
    await assertRefused(
      await postJson('/report', unknownLab.body, { 'authlab-signature': unknownLab.signature }),
      400,
      'unknown_lab',
    );
    const withSource = signedReport(ada, [{ ...lab('04-csrf'), source: 'export default …' } as LabReport], clock);
    await assertRefused(
      await postJson('/report', withSource.body, { 'authlab-signature': withSource.signature }),
      400,
      'invalid_request',
    );
    const tooManyHints = signedReport(ada, [lab('04-csrf', { hintsUsed: 4 })], clock);
    await assertRefused(
      await postJson('/report', tooManyHints.body, { 'authlab-signature': tooManyHints.signature }),
      400,
      'invalid_request',
    );
    await assertRefused(await fetch(`${base}/admin`), 404, 'not_found');
  });
});

describe('who sees what', () => {
  test('board.json: no code 401, the join code counts only, the instructor code every participant', async () => {
    const ada = await join('Ada');
    await sendReport(ada, [lab('04-csrf', { status: 'solved', solvedAt: new Date(START).toISOString() })], clock);
    await assertRefused(await fetch(`${base}/board.json`), 401, 'code_required');
    const asParticipant = await fetch(`${base}/board.json`, { headers: { authorization: `Bearer ${JOIN_CODE}` } });
    const counts = (await asParticipant.json()) as Record<string, unknown>;
    assert.equal(counts.role, 'participant');
    assert.equal(counts.participants, 1);
    assert.doesNotMatch(JSON.stringify(counts), /Ada/);
    assert.deepEqual((counts.labs as { id: string; solved: number }[]).find((l) => l.id === '04-csrf')?.solved, 1);
    assert.equal((await instructorView()).participants[0]?.name, 'Ada');
    await assertRefused(
      await fetch(`${base}/board.json`, { headers: { authorization: 'Bearer QRST-VWXY-Z012-3456-789B' } }),
      401,
      'invalid_code',
    );
  });

  async function login(code: string, headers: Record<string, string> = {}): Promise<Response> {
    return fetch(`${base}/login`, { method: 'POST', body: new URLSearchParams({ code }), headers, redirect: 'manual' });
  }

  test('the page: the instructor code opens every name, escaped, under a strict CSP; the join code only counts', async () => {
    await join('<script>alert(1)</script>');
    const form = await fetch(`${base}/`);
    assert.match(await form.text(), /<form method="post" action="\/login">/);
    const instructor = await login(INSTRUCTOR_CODE);
    assert.equal(instructor.status, 303);
    const cookie = (instructor.headers.get('set-cookie') ?? '').split(';')[0] as string;
    assert.match(instructor.headers.get('set-cookie') ?? '', /HttpOnly; SameSite=Strict/);
    const page = await fetch(`${base}/`, { headers: { cookie } });
    const csp = page.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'none'/);
    assert.doesNotMatch(csp, /script-src|unsafe-inline/);
    const html = await page.text();
    assert.doesNotMatch(html, /<script>alert/);
    assert.match(html, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
    const participant = await login(JOIN_CODE);
    const participantCookie = (participant.headers.get('set-cookie') ?? '').split(';')[0] as string;
    const counts = await (await fetch(`${base}/`, { headers: { cookie: participantCookie } })).text();
    assert.match(counts, /1 joined/);
    assert.doesNotMatch(counts, /alert/);
  });

  test('a wrong code on the form is 401 with the form again; a login posted from another origin is 403', async () => {
    const wrong = await login('NOPE-NOPE-NOPE');
    assert.equal(wrong.status, 401);
    assert.match(await wrong.text(), /not right/);
    const crossSite = await login(INSTRUCTOR_CODE, { origin: 'http://evil.example', 'sec-fetch-site': 'cross-site' });
    await assertRefused(crossSite, 403, 'forbidden_origin');
  });
});

test('in a real Chromium on a phone: the instructor signs in with the form, the styles pass the CSP, the table scrolls inside the page', async () => {
  const ada = await join('Ada');
  await sendReport(ada, [lab('04-csrf', { status: 'solved', solvedAt: new Date(START).toISOString() })], clock);
  const browser = await launchLabBrowser();
  try {
    const page = await browser.newPage({ viewport: { width: 375, height: 740 }, isMobile: true });
    const violations: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
    });
    await page.goto(`${base}/`);
    await page.fill('input[name=code]', INSTRUCTOR_CODE.toLowerCase());
    await Promise.all([page.waitForURL(`${base}/`), page.click('button')]);
    const solved = page.locator('td.solved').first();
    assert.match((await solved.textContent()) ?? '', /✓/);
    // The stylesheet is allowed by its hash: were it blocked, the cell would not be green.
    const color = await solved.evaluate(
      (cell) =>
        (globalThis as unknown as { getComputedStyle(e: unknown): { color: string } }).getComputedStyle(cell).color,
    );
    assert.equal(color, 'rgb(26, 127, 55)');
    const widths = await page.evaluate<{ page: number; viewport: number }>(
      '({ page: document.documentElement.scrollWidth, viewport: window.innerWidth })',
    );
    assert.ok(widths.page <= widths.viewport, `the page itself does not scroll sideways (${JSON.stringify(widths)})`);
    assert.deepEqual(violations, []);
  } finally {
    await browser.close();
  }
});

describe('what anyone on the LAN can try', () => {
  /** One raw HTTP/1.1 request over TCP: what no fetch would send. */
  async function raw(lines: string[]): Promise<string> {
    const socket = connect(running.port, '127.0.0.1');
    await once(socket, 'connect');
    socket.end(`${lines.join('\r\n')}\r\n\r\n`);
    let answer = '';
    for await (const chunk of socket) answer += chunk;
    return answer;
  }

  test('an absolute-form request target with a bad port is a 4xx, and the board keeps answering', async () => {
    const answer = await raw(['GET http://a:99999/ HTTP/1.1', `Host: 127.0.0.1:${running.port}`, 'Connection: close']);
    assert.match(answer, /^HTTP\/1\.1 4\d\d /);
    assert.equal((await fetch(`${base}/`)).status, 200, 'still up');
  });

  test('a request by a DNS name the board does not have (DNS rebinding) is refused, its form post too', async () => {
    const rebound = await raw([
      'GET /board.json HTTP/1.1',
      'Host: attacker.example',
      `Authorization: Bearer ${INSTRUCTOR_CODE}`,
      'Connection: close',
    ]);
    assert.match(rebound, /^HTTP\/1\.1 421 /);
    assert.match(rebound, /"error":"unknown_host"/);
    const login = await raw([
      'POST /login HTTP/1.1',
      `Host: attacker.example:${running.port}`,
      `Origin: http://attacker.example:${running.port}`,
      'Content-Type: application/x-www-form-urlencoded',
      'Content-Length: 9',
      'Connection: close',
      '',
      'code=NOPE',
    ]);
    assert.match(login, /^HTTP\/1\.1 421 /);
    assert.equal(
      (await fetch(`${base}/board.json`, { headers: { authorization: `Bearer ${INSTRUCTOR_CODE}` } })).status,
      200,
      'the address was not locked out by those',
    );
    const local = await raw(['GET / HTTP/1.1', `Host: localhost:${running.port}`, 'Connection: close']);
    assert.match(local, /^HTTP\/1\.1 200 /);
  });

  test('a flood of participant logins never signs the instructor out', async () => {
    const form = (code: string) =>
      fetch(`${base}/login`, { method: 'POST', body: new URLSearchParams({ code }), redirect: 'manual' });
    const instructor = await form(INSTRUCTOR_CODE);
    const cookie = (instructor.headers.get('set-cookie') ?? '').split(';')[0] as string;
    for (let i = 0; i < 1005; i += 1) assert.equal((await form(JOIN_CODE)).status, 303);
    const page = await fetch(`${base}/board.json`, { headers: { cookie } });
    assert.equal(page.status, 200);
    assert.equal(((await page.json()) as { role: string }).role, 'instructor');
  });

  test('one address can join a few participants, not fill the class with made-up names', async () => {
    for (let i = 0; i < 8; i += 1) await join(`Laptop ${i}`);
    assert.equal(await joinRefused('Laptop 8', JOIN_CODE), 'too_many_joins');
    assert.equal((await instructorView()).participants.length, 8);
  });
});
