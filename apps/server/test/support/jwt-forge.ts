import { createHmac, createPrivateKey, type KeyObject, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';

/**
 * Hand-made compact JWS for forgery tests. Nothing here goes through a JOSE library's safety
 * checks on purpose: a forged header (`alg: none`, `alg: HS256` over an Ed25519 key, a `jku`)
 * must reach the server byte for byte.
 */

export type Signer = (signingInput: string) => Buffer;

const encode = (value: unknown) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** `header.payload.signature`; `undefined` members are left out (JSON.stringify drops them). */
export function compactJws(header: object, payload: object, signer: Signer | null): string {
  const signingInput = `${encode(header)}.${encode(payload)}`;
  return `${signingInput}.${signer ? signer(signingInput).toString('base64url') : ''}`;
}

/** An EdDSA (Ed25519) signature over the signing input. */
export const ed25519Signer =
  (key: KeyObject): Signer =>
  (input) =>
    sign(null, Buffer.from(input), key);

/** An HS256 signature keyed with whatever the attacker hopes the server uses as the HMAC secret. */
export const hs256Signer =
  (secret: string | Buffer): Signer =>
  (input) =>
    createHmac('sha256', secret).update(input).digest();

/** The server's current signing key, read from `DATA_DIR/secrets/jwt-keys.json` as a test with file access can. */
export function currentSigningKey(dataDir: string): { kid: string; privateKey: KeyObject; x: string } {
  const file = JSON.parse(readFileSync(join(dataDir, 'secrets', 'jwt-keys.json'), 'utf8')) as {
    keys: Array<{ kid: string; state: string; jwk: { kty: 'OKP'; crv: 'Ed25519'; x: string; d: string } }>;
  };
  const current = file.keys.find((key) => key.state === 'current');
  if (!current) throw new Error('the key ring has no current key');
  return { kid: current.kid, privateKey: createPrivateKey({ key: current.jwk, format: 'jwk' }), x: current.jwk.x };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Sends exact request bytes over a plain socket (fetch refuses some headers, and trims others)
 * and reads until the server closes. Fails after `timeoutMs` instead of hanging the test.
 */
export function rawRequest(port: number, request: Buffer, timeoutMs = 5_000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect({ port, host: '127.0.0.1' });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete answer within ${timeoutMs} ms`));
    }, timeoutMs);
    const finish = () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('latin1');
      const split = text.indexOf('\r\n\r\n');
      const match = /^HTTP\/1\.1 (\d{3})/.exec(text);
      if (split < 0 || !match) {
        reject(new Error(`not an HTTP response: ${JSON.stringify(text.slice(0, 200))}`));
        return;
      }
      const headers: Record<string, string> = {};
      for (const line of text.slice(0, split).split('\r\n').slice(1)) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      resolve({ status: Number(match[1]), headers, body: text.slice(split + 4) });
    };
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('end', finish);
    // The server may close while our oversized request is still being written: a reset after
    // an answer arrived still leaves that answer to read.
    socket.on('error', (error) => {
      if (chunks.length > 0) finish();
      else {
        clearTimeout(timer);
        reject(error);
      }
    });
    socket.write(request);
  });
}

/** A GET with the given Authorization value as raw bytes (latin1: one byte per char). */
export function rawGet(port: number, path: string, authorization: string | Buffer): Promise<RawResponse> {
  const value = typeof authorization === 'string' ? Buffer.from(authorization, 'latin1') : authorization;
  return rawRequest(
    port,
    Buffer.concat([
      Buffer.from(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\nAuthorization: `),
      value,
      Buffer.from('\r\n\r\n'),
    ]),
  );
}

/** A local HTTP server that records every request: proof that `jku`/`x5u` were never fetched. */
export async function startRecorder(
  body: string,
): Promise<{ url: string; requests: string[]; close(): Promise<void> }> {
  const requests: string[] = [];
  const server = createServer((request, response) => {
    requests.push(`${request.method} ${request.url}`);
    response.writeHead(200, { 'content-type': 'application/json' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * Other spellings of the same token: each part padded with `=`, and each part whose last
 * character carries unused bits with one of them set. Every variant decodes to exactly the bytes
 * of the original (checked here), so a verifier that accepts one is lenient about spelling only.
 */
export function nonCanonicalSpellings(token: string): Array<[string, string]> {
  const parts = token.split('.');
  const names = ['header', 'payload', 'signature'];
  const variants: Array<[string, string]> = [];
  parts.forEach((part, i) => {
    const swap = (spelling: string) => parts.map((p, j) => (j === i ? spelling : p)).join('.');
    const rest = part.length % 4;
    if (rest === 0) return;
    variants.push([`${names[i]} padded with =`, swap(part + '='.repeat(4 - rest))]);
    const last = BASE64URL.indexOf(part.at(-1) ?? '');
    variants.push([`${names[i]} with an unused bit set`, swap(part.slice(0, -1) + BASE64URL[last | 1])]);
  });
  for (const [what, variant] of variants) {
    const decoded = variant.split('.').map((p) => Buffer.from(p, 'base64url').toString('hex'));
    const original = parts.map((p) => Buffer.from(p, 'base64url').toString('hex'));
    if (decoded.join('.') !== original.join('.')) throw new Error(`${what} changes the token's bytes`);
  }
  return variants;
}
