/**
 * The class board over HTTP, on the address the instructor chose (`pnpm lab board --class`; the
 * tests use 127.0.0.1). Every refusal is JSON `{error, error_description}` with a 4xx, never a
 * 500: bodies are capped at MAX_BODY_BYTES (413 before reading more), must be JSON where JSON is
 * expected (415), and are validated strictly (400). Wrong codes are rate limited per address (429).
 *
 *   GET  /            the code form, or the page the session's code opens
 *   POST /login       form {code} → a session cookie (HttpOnly, SameSite=Strict), 303 to /
 *   GET  /board.json  Authorization: Bearer <code> (or the session): the view that code opens
 *   POST /join/start  {name, key} → 200 {participant, key, nonce, salt}   (join-handshake.ts)
 *   POST /join/finish {participant, proof} → 201 {proof}
 *   POST /report      signed report → 204                                   (protocol.ts)
 *   POST /unlock      signed instructor-code proof → 200 {proof}            (instructor-unlock.ts)
 * A wrong join or instructor code, as a failed proof, counts toward the same per-address limit.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { BOARD_HEADERS, JSON_HEADERS } from '../board-html.ts';
import { attemptLimiter } from './attempt-limiter.ts';
import { ClassBoard, type ClassBoardOptions, type Refusal, type Role } from './class-board.ts';
import { codePage, instructorPage, participantPage } from './class-page.ts';
import { MAX_BODY_BYTES, SIGNATURE_HEADER } from './protocol.ts';

export interface ClassServerOptions extends ClassBoardOptions {
  /** The address to listen on: the LAN for a class, 127.0.0.1 in tests. */
  host: string;
  port: number;
}

export interface RunningClassBoard {
  board: ClassBoard;
  port: number;
  close(): Promise<void>;
}

const SESSION_COOKIE = 'authlab_board';
const SESSION_COOKIE_VALUE = new RegExp(`(?:^|;\\s*)${SESSION_COOKIE}=([A-Za-z0-9_-]+)`);
const SESSION_TTL_MS = 12 * 3600_000;
/** Per role: a flood of participant logins (anyone with the join code) never evicts the instructor's. */
const MAX_SESSIONS = { participant: 1000, instructor: 50 } as const;
/** Participants joined from one address: one laptop is one participant, a few for a shared one. */
const MAX_JOINS_PER_ADDRESS = 8;

/**
 * The names the board may be reached by: IP literals, localhost and this machine's own name.
 * Anything else is a DNS name pointed at the board by someone else (DNS rebinding: Origin and Host
 * would then agree, and the page's origin check would pass).
 */
function knownHost(req: IncomingMessage, ownNames: ReadonlySet<string>): boolean {
  const host = (req.headers.host ?? '').toLowerCase();
  const name = host.startsWith('[') ? host.slice(1, host.indexOf(']')) : host.replace(/:\d+$/, '');
  return isIP(name) !== 0 || ownNames.has(name);
}

const isRefusal = (value: unknown): value is Refusal =>
  typeof value === 'object' && value !== null && 'error' in value && 'status' in value;

function sendJson(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...JSON_HEADERS, ...headers }).end(`${JSON.stringify(value)}\n`);
}

/** `Retry-After` for a rate-limit refusal (RFC 9110 §10.2.3), nothing otherwise. */
const retryHeaders = (refusal: Refusal): Record<string, string> =>
  refusal.retryAfter ? { 'retry-after': String(refusal.retryAfter) } : {};

function sendRefusal(res: ServerResponse, refusal: Refusal, headers: Record<string, string> = {}): void {
  sendJson(
    res,
    refusal.status,
    { error: refusal.error, error_description: refusal.description },
    { ...retryHeaders(refusal), ...headers },
  );
}

/** The body as text, or a refusal: too large (413), or not UTF-8 (400). */
function readBody(req: IncomingMessage): Promise<string | Refusal> {
  const tooLarge: Refusal = { status: 413, error: 'body_too_large', description: `at most ${MAX_BODY_BYTES} bytes` };
  if (Number(req.headers['content-length'] ?? 0) > MAX_BODY_BYTES) return Promise.resolve(tooLarge);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        req.removeAllListeners('data');
        req.resume(); // read and drop the rest; the answer closes the connection
        resolve(tooLarge);
      } else chunks.push(chunk);
    });
    req.on('end', () => {
      try {
        resolve(new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks)));
      } catch {
        resolve({ status: 400, error: 'invalid_request', description: 'the body is not UTF-8' });
      }
    });
    req.on('error', reject);
  });
}

const mediaType = (req: IncomingMessage) => (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();

/** A JSON request's body as text: only `application/json` (so no cross-site form can send one). */
async function readJsonBody(req: IncomingMessage): Promise<string | Refusal> {
  if (mediaType(req) !== 'application/json') {
    return { status: 415, error: 'unsupported_media_type', description: 'send application/json' };
  }
  return readBody(req);
}

/** A JSON request's body parsed (wrapped: a body may look like anything), or a refusal (413, 415, 400). */
async function readJsonInput(req: IncomingMessage): Promise<{ input: unknown } | Refusal> {
  const body = await readJsonBody(req);
  if (isRefusal(body)) return body;
  try {
    return { input: JSON.parse(body) };
  } catch {
    return { status: 400, error: 'invalid_request', description: 'the body is not JSON' };
  }
}

/**
 * A form post from the board's own page: a browser's `Sec-Fetch-Site` and `Origin` say so (login
 * CSRF, OWASP CSRF Prevention Cheat Sheet "Verifying Origin With Standard Headers").
 */
function fromOwnPage(req: IncomingMessage): boolean {
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return false;
  const origin = req.headers.origin;
  return origin === undefined || origin === `http://${req.headers.host}`;
}

export async function serveClassBoard(options: ClassServerOptions): Promise<RunningClassBoard> {
  const now = options.now ?? Date.now;
  const board = new ClassBoard(options);
  const limiter = attemptLimiter({ now });
  const sessions = new Map<string, { role: Role; expiresAt: number }>();
  const joinsByAddress = new Map<string, number>();
  /** Drops expired sessions, then the oldest of `role`'s while it holds too many. */
  const makeRoom = (role: Role) => {
    for (const [token, session] of sessions) if (session.expiresAt <= now()) sessions.delete(token);
    const ofRole = [...sessions].filter(([, session]) => session.role === role);
    for (const [token] of ofRole.slice(0, Math.max(0, ofRole.length - MAX_SESSIONS[role] + 1))) sessions.delete(token);
  };

  const sessionRole = (req: IncomingMessage): Role | null => {
    const token = SESSION_COOKIE_VALUE.exec(req.headers.cookie ?? '')?.[1];
    const session = token ? sessions.get(token) : undefined;
    return session && session.expiresAt > now() ? session.role : null;
  };

  const addressOf = (req: IncomingMessage) => req.socket.remoteAddress ?? '';
  /** A 429 while this address has had too many wrong codes (ASVS V2.2.1), else null. */
  const lockedOut = (req: IncomingMessage): Refusal | null => {
    const wait = limiter.retryAfter(addressOf(req));
    return wait > 0
      ? { status: 429, error: 'too_many_attempts', description: `try again in ${wait} s`, retryAfter: wait }
      : null;
  };
  /** The board's answer to a code proof; a wrong code counts against the sender's address. */
  const counted = <T>(req: IncomingMessage, answer: T | Refusal): T | Refusal => {
    if (isRefusal(answer) && answer.error === 'invalid_code') limiter.fail(addressOf(req));
    return answer;
  };

  /** The role `code` grants, a rate-limit refusal, or a wrong-code refusal (counted). */
  const checkCode = (req: IncomingMessage, code: string): Role | Refusal =>
    lockedOut(req) ??
    counted(req, board.roleOf(code) ?? { status: 401, error: 'invalid_code', description: 'that code is not right' });
  const view = (role: Role) => (role === 'instructor' ? board.instructorView() : board.participantView());

  const routes: Record<string, (req: IncomingMessage, res: ServerResponse) => Promise<void>> = {
    'GET /': async (req, res) => {
      const pages = {
        instructor: () => instructorPage(board.instructorView()),
        participant: () => participantPage(board.participantView()),
      };
      const role = sessionRole(req);
      res.writeHead(200, BOARD_HEADERS).end(role ? pages[role]() : codePage());
    },
    'POST /login': async (req, res) => {
      if (!fromOwnPage(req))
        return sendRefusal(res, {
          status: 403,
          error: 'forbidden_origin',
          description: 'post the form from the board',
        });
      const body = await readBody(req);
      if (isRefusal(body)) return sendRefusal(res, body, { connection: 'close' });
      const role = checkCode(req, new URLSearchParams(body).get('code') ?? '');
      if (isRefusal(role)) {
        res.writeHead(role.status, { ...BOARD_HEADERS, ...retryHeaders(role) }).end(codePage(`${role.description}.`));
        return;
      }
      const token = randomBytes(32).toString('base64url');
      makeRoom(role);
      sessions.set(token, { role, expiresAt: now() + SESSION_TTL_MS });
      res
        .writeHead(303, {
          ...BOARD_HEADERS,
          location: '/',
          'set-cookie': `${SESSION_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${SESSION_TTL_MS / 1000}`,
        })
        .end();
    },
    'GET /board.json': async (req, res) => {
      const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      const role = bearer !== undefined ? checkCode(req, bearer) : sessionRole(req);
      if (role === null) {
        return sendRefusal(
          res,
          { status: 401, error: 'code_required', description: 'Authorization: Bearer <code>' },
          { 'www-authenticate': 'Bearer' },
        );
      }
      if (isRefusal(role)) return sendRefusal(res, role);
      sendJson(res, 200, { role, ...view(role) });
    },
    'POST /join/start': async (req, res) => {
      const read = await readJsonInput(req);
      if (isRefusal(read)) return sendRefusal(res, read, { connection: 'close' });
      const joined = joinsByAddress.get(addressOf(req)) ?? 0;
      const tooMany: Refusal | null =
        joined >= MAX_JOINS_PER_ADDRESS
          ? {
              status: 429,
              error: 'too_many_joins',
              description: `at most ${MAX_JOINS_PER_ADDRESS} participants per address`,
            }
          : null;
      const answer = lockedOut(req) ?? tooMany ?? board.joinStart(read.input, addressOf(req));
      if (isRefusal(answer)) return sendRefusal(res, answer);
      sendJson(res, 200, answer);
    },
    'POST /join/finish': async (req, res) => {
      const read = await readJsonInput(req);
      if (isRefusal(read)) return sendRefusal(res, read, { connection: 'close' });
      const answer = lockedOut(req) ?? counted(req, board.joinFinish(read.input));
      if (isRefusal(answer)) return sendRefusal(res, answer);
      joinsByAddress.set(addressOf(req), (joinsByAddress.get(addressOf(req)) ?? 0) + 1);
      sendJson(res, 201, answer);
    },
    'POST /report': async (req, res) => {
      const body = await readJsonBody(req);
      if (isRefusal(body)) return sendRefusal(res, body, { connection: 'close' });
      const signature = req.headers[SIGNATURE_HEADER];
      const refused = board.report(body, typeof signature === 'string' ? signature : undefined);
      if (refused) return sendRefusal(res, refused);
      res.writeHead(204, JSON_HEADERS).end();
    },
    'POST /unlock': async (req, res) => {
      const body = await readJsonBody(req);
      if (isRefusal(body)) return sendRefusal(res, body, { connection: 'close' });
      const signature = req.headers[SIGNATURE_HEADER];
      const answer =
        lockedOut(req) ?? counted(req, board.unlock(body, typeof signature === 'string' ? signature : undefined));
      if (isRefusal(answer)) return sendRefusal(res, answer);
      sendJson(res, 200, answer);
    },
  };

  const own = hostname().toLowerCase();
  const ownNames = new Set(['localhost', own, `${own}.local`]);
  const server = createServer((req, res) => {
    if (!knownHost(req, ownNames)) {
      return sendRefusal(res, {
        status: 421,
        error: 'unknown_host',
        description: "reach the board by its IP address or this machine's name",
      });
    }
    // Split, not parsed: `new URL` throws on an absolute-form target such as `http://a:99999/`.
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const route = routes[`${req.method} ${path}`];
    if (!route) return sendRefusal(res, { status: 404, error: 'not_found', description: `no ${req.method} ${path}` });
    route(req, res).catch(() => {
      if (!res.headersSent)
        sendRefusal(res, { status: 400, error: 'invalid_request', description: 'the request broke off' });
      else res.destroy();
    });
  });
  // A client that sends its headers or body by the byte cannot hold the board's sockets for long.
  server.headersTimeout = 10_000;
  server.requestTimeout = 15_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as { port: number };
  return {
    board,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
