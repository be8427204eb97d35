import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import * as oidc from 'openid-client';
import { DESKTOP, pkcePair } from './support/oidc.ts';
import { Client, DEMO_PASSWORD, startTestServer, type TestServer } from './support/server.ts';

/**
 * Every URL the server hands out — discovery's endpoints, redirects, form actions — comes from
 * PUBLIC_URL, never from the request's `Host` or `X-Forwarded-Host`/`-Proto`: a forged header
 * must not make discovery point a client's token request, or a redirect point a person's browser,
 * at another host (host header poisoning, OWASP WSTG-INPV-17). With TRUST_PROXY on, as behind a
 * real proxy, so the forwarded headers are read at all.
 */

const EVIL = 'evil.example';
const forged: Array<{ name: string; headers: Record<string, string> }> = [
  { name: 'Host', headers: { host: EVIL } },
  { name: 'X-Forwarded-Host', headers: { 'x-forwarded-host': EVIL, 'x-forwarded-proto': 'http' } },
  { name: 'X-Forwarded-Proto', headers: { 'x-forwarded-proto': 'https' } },
];

/** A raw HTTP request (fetch will not send a foreign Host header); `form` makes it a POST. */
function rawRequest(
  base: string,
  path: string,
  headers: Record<string, string>,
  cookie = '',
  form?: Record<string, string>,
) {
  const url = new URL(path, base);
  const body = form ? new URLSearchParams(form).toString() : undefined;
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }>(
    (resolve, reject) => {
      const req = httpRequest(
        url,
        {
          method: body ? 'POST' : 'GET',
          headers: {
            ...(cookie ? { cookie } : {}),
            ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
            ...headers,
          },
        },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk) => {
            body += chunk;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        },
      );
      req.on('error', reject);
      req.end(body);
    },
  );
}

describe('URLs come from PUBLIC_URL, whatever Host or X-Forwarded-* say', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ env: { TRUST_PROXY: '1' } });
  });
  after(() => server.stop());

  for (const { name, headers } of forged) {
    it(`lists only PUBLIC_URL endpoints in discovery with a forged ${name}, as openid-client reads them`, async () => {
      const config = await oidc.discovery(new URL(`${server.url}/oidc`), DESKTOP, undefined, oidc.None(), {
        execute: [oidc.allowInsecureRequests],
        // Discovery is one GET; sent raw, with the forged header.
        [oidc.customFetch]: async (url: string) =>
          toResponse(await rawRequest(server.url, new URL(url).pathname, headers)),
      });
      const metadata = config.serverMetadata();
      const urls = Object.entries(metadata).filter(([, value]) => typeof value === 'string' && /^https?:/.test(value));
      assert.ok(urls.length >= 5, JSON.stringify(metadata));
      for (const [field, value] of urls) {
        assert.ok(String(value).startsWith(`${server.url}/`), `${field}: ${value}`);
      }
    });

    it(`redirects the browser and posts its forms only to PUBLIC_URL with a forged ${name}`, async () => {
      const browser = new Client(server.url);
      const params = new URLSearchParams({
        client_id: DESKTOP,
        response_type: 'code',
        redirect_uri: 'http://127.0.0.1:53999/callback',
        scope: 'openid api',
        state: 'state-1',
        code_challenge: pkcePair().challenge,
        code_challenge_method: 'S256',
      });
      const answers = [];
      let path = `/oidc/auth?${params}`;
      // The authorization request, the login page, and after signing in the resume redirect.
      for (let hop = 0; hop < 6; hop++) {
        let answer = await rawRequest(server.url, path, headers, browser.cookieHeader());
        keepCookies(browser, answer.headers['set-cookie']);
        answers.push(answer);
        const action = /<form[^>]*action="([^"]+)"/.exec(answer.body)?.[1];
        if (!answer.headers.location && action && answer.body.includes('name="password"')) {
          assert.ok(!/^https?:/.test(action) || action.startsWith(`${server.url}/`), `form action ${action}`);
          const credentials = { email: 'alice@example.com', password: DEMO_PASSWORD };
          answer = await rawRequest(server.url, action, headers, browser.cookieHeader(), credentials);
          keepCookies(browser, answer.headers['set-cookie']);
          answers.push(answer);
        }
        const location = answer.headers.location as string | undefined;
        if (!location || location.startsWith('http://127.0.0.1:53999')) break;
        path = new URL(location, server.url).pathname + new URL(location, server.url).search;
      }
      assert.ok(answers.length >= 4, 'authorization, login page, login and resume');
      for (const answer of answers) {
        assert.ok(!String(answer.headers.location ?? '').includes(EVIL), `redirect: ${answer.headers.location}`);
        assert.ok(!answer.body.includes(EVIL), `body: ${answer.body.slice(0, 500)}`);
        const location = String(answer.headers.location ?? '');
        if (/^https?:/.test(location) && !location.startsWith('http://127.0.0.1:53999')) {
          assert.ok(location.startsWith(`${server.url}/`), location);
        }
      }
    });
  }
});

function keepCookies(browser: Client, lines: string | string[] | undefined) {
  for (const line of [lines ?? []].flat()) {
    const [pair] = line.split(';');
    const [cookie, ...value] = (pair ?? '').split('=');
    if (cookie) browser.cookies.set(cookie, value.join('='));
  }
}

function toResponse(raw: { status: number; headers: Record<string, string | string[] | undefined>; body: string }) {
  const headers = new Headers();
  for (const [key, value] of Object.entries(raw.headers)) {
    for (const item of [value ?? []].flat()) headers.append(key, item);
  }
  return new Response(raw.body, { status: raw.status, headers });
}
