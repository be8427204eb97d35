/**
 * Shared pieces of the hostile-input suites (`hostile-*.test.ts`): fast-check settings, one
 * raw HTTP call with a deadline, and generators of the values attackers and broken clients send.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';

/**
 * One fixed seed, so CI runs the same cases every time and a failure reproduces; fast-check
 * prints the seed and the counterexample's path when a property fails. `FC_SEED=<n>` explores
 * other cases locally.
 */
export const SEED = Number(process.env.FC_SEED ?? 0x5eed_2026);

/** Property settings: a bounded number of runs, the fixed seed. */
export function runs(numRuns: number): fc.Parameters<unknown> {
  return { seed: SEED, numRuns };
}

/** A request that has not been answered by then counts as a hang, and fails the property. */
export const REQUEST_DEADLINE_MS = 5_000;

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed body when it is JSON, else undefined. */
  // biome-ignore lint/suspicious/noExplicitAny: a JSON body of any shape, read by assertions
  json: any;
}

/** One HTTP call, no redirects followed, with a deadline; the body read in full. */
export async function send(
  base: string,
  path: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Answer> {
  const response = await fetch(new URL(path, base), {
    method: init.method ?? 'GET',
    headers: init.headers ?? {},
    ...(init.body !== undefined ? { body: init.body } : {}),
    redirect: 'manual',
    signal: AbortSignal.timeout(REQUEST_DEADLINE_MS),
  });
  const text = await response.text();
  let json: unknown;
  if (/application\/json/.test(response.headers.get('content-type') ?? '')) {
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
  }
  return { status: response.status, headers: response.headers, text, json };
}

/** Asserts a 4xx with the project's JSON error shape `{ error, error_description? }`. */
export function assertJsonClientError(answer: Answer, context: string): void {
  assert.ok(
    answer.status >= 400 && answer.status < 500,
    `${context}: status ${answer.status} ${answer.text.slice(0, 200)}`,
  );
  assert.equal(typeof answer.json?.error, 'string', `${context}: not a JSON error: ${answer.text.slice(0, 200)}`);
}

/** Never a server error. */
export function assertNo5xx(answer: Answer, context: string): void {
  assert.ok(answer.status < 500, `${context}: status ${answer.status} ${answer.text.slice(0, 200)}`);
}

/** Strings that have broken parsers before: keys of Object.prototype, paths, encodings, control characters. */
export const NASTY_STRINGS = [
  '',
  ' ',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  '../../../etc/passwd',
  '%00',
  '\u0000',
  '\uFEFF',
  '\uD800',
  '\u202E',
  "'; DROP TABLE users; --",
  '<script>alert(1)</script>',
  `$\{7*7}`, // a template-injection probe, literally
  '{{7*7}}',
  'null',
  'undefined',
  'NaN',
  '-0',
  '1e999',
  '0x10',
  'A'.repeat(10_000),
];

/** Any string a client could put in JSON: ASCII, any code point (lone surrogates too), or a known nasty one. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.string({ unit: 'grapheme', maxLength: 50 }),
  fc.constantFrom(...NASTY_STRINGS),
);

/** Characters allowed in an HTTP header value (RFC 9110 §5.5: visible ASCII, space, tab, obs-text). */
const headerChar = fc
  .oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.constant(0x09), fc.integer({ min: 0x80, max: 0xff }))
  .map((code) => String.fromCharCode(code));

/** Any header value the HTTP layer will carry (no CR/LF/NUL, which no client can send in one). */
export const headerValue: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: headerChar, maxLength: 300 }),
  fc.constantFrom(...NASTY_STRINGS.filter((s) => /^[\t\x20-\x7e\x80-\xff]*$/.test(s))),
);

/** Numbers JSON can spell but JavaScript cannot hold exactly, as raw JSON text. */
export const HUGE_NUMBERS = [
  '1e999',
  '-1e999',
  '123456789012345678901234567890',
  '9007199254740993',
  '1.7976931348623157e309',
  '5e-324',
  '-0',
  '0.0000000000000000000000000000001',
];

/** Base64url of a string, for building token-shaped garbage. */
export const b64url = (text: string) => Buffer.from(text, 'utf8').toString('base64url');
