import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  Recording,
  sequenceMermaid,
  sequenceSvg,
  shortenSecret,
  shownAuthorization,
  shownSetCookie,
  shownValue,
  type WireMessage,
} from '../src/index.ts';

const TOKEN = 'eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmU';
const message = (over: Partial<WireMessage> = {}): WireMessage => ({
  at: 0,
  from: 'browser',
  to: 'server',
  label: 'POST /jwt/login',
  details: [],
  mode: 'jwt',
  reply: false,
  ...over,
});

describe('values as recorded', () => {
  it('keeps a secret’s first characters and length, never the rest', () => {
    assert.equal(shortenSecret(TOKEN), `eyJhbG…(${TOKEN.length} chars)`);
    assert.equal(shortenSecret('short'), '…(5 chars)', 'a short secret shows nothing of itself');
  });

  it('masks a password completely and shortens tokens, codes and verifiers by name', () => {
    assert.equal(shownValue('password', 'correct-horse-battery-staple'), '•••');
    for (const name of ['access_token', 'refresh_token', 'id_token', 'code', 'code_verifier', 'state', 'nonce']) {
      assert.equal(shownValue(name, TOKEN).includes(TOKEN.slice(6)), false, name);
    }
    assert.equal(shownValue('grant_type', 'authorization_code'), 'authorization_code');
  });

  it('shortens the provider’s sign-out xsrf token and other one-time secrets whatever their length', () => {
    const xsrf = 'a1'.repeat(24); // oidc-provider's 24 random bytes in hex: 48 characters
    for (const name of ['xsrf', 'id_token_hint', 'logout_token', 'client_assertion', 'device_code', 'user_code']) {
      const shown = shownValue(name, xsrf);
      assert.notEqual(shown, xsrf, name);
      assert.ok(!shown.includes(xsrf.slice(6)), `${name} keeps no more than its first characters`);
    }
  });

  it('shows the scheme of an Authorization header and the name and flags of a cookie, not their values', () => {
    assert.equal(shownAuthorization(`Bearer ${TOKEN}`), `Bearer eyJhbG…(${TOKEN.length} chars)`);
    const uid = 'E1R6WhjAn6Sbpc9zV_SFwFuuQDW1W-c9sB5qD0E1yFc';
    const shown = shownSetCookie(`_interaction=${uid}; path=/oidc/interaction/${uid}; samesite=lax; httponly`);
    assert.equal(shown.includes(uid), false, 'not even in the Path');
    assert.match(
      shown,
      /^_interaction=E1R6Wh…\(43 chars\); path=\/oidc\/interaction\/E1R6Wh…\(43 chars\); samesite=lax; httponly$/,
    );
  });
});

describe('drawings', () => {
  it('escapes every text in the SVG and keeps no script or external resource', () => {
    const svg = sequenceSvg([message({ label: '<script>alert(1)</script>', details: [['x', '"><img src=x>']] })]);
    assert.equal(svg.includes('<script>'), false);
    assert.equal(svg.includes('<img'), false);
    assert.match(svg, /&lt;script&gt;/);
    assert.equal(/\bhref=|https?:\/\/(?!www\.w3\.org)/.test(svg), false);
  });

  it('writes Mermaid with only the parties that took part, answers dashed, and statement breakers escaped', () => {
    const text = sequenceMermaid([
      message({ details: [['email', 'a@b.c; x#y']] }),
      message({ from: 'server', to: 'browser', label: '200', reply: true }),
    ]);
    assert.equal(
      text,
      'sequenceDiagram\n  participant browser as Browser\n  participant server as authlab server\n' +
        '  browser->>server: POST /jwt/login (email=a@b.c#59; x#35;y)\n  server-->>browser: 200\n',
    );
  });

  it('keeps a bounded recording, oldest dropped first, filtered by mode', () => {
    const recording = new Recording(3);
    for (const i of [1, 2, 3, 4]) recording.add(message({ label: `m${i}`, mode: i % 2 ? 'jwt' : 'oidc' }));
    assert.deepEqual(
      recording.messages().map((m) => m.label),
      ['m2', 'm3', 'm4'],
    );
    assert.deepEqual(
      recording.messages('jwt').map((m) => m.label),
      ['m3'],
    );
  });
});
