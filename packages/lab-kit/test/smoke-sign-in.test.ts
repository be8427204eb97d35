/**
 * The doctor's closing smoke sign-ins: the real server, started as `pnpm start` starts it, signed
 * in to once per mode (OIDC by openid-client); what a participant reads when one fails.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { SMOKE_MODES, smokeSignIns } from '../src/smoke-sign-in.ts';

describe('smoke sign-ins', () => {
  test('sign in once in each mode with the demo account, and leave no data folder behind', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'authlab-smoke-test-'));
    const items = await smokeSignIns({ dataDir });
    assert.deepEqual(
      items.map((item) => [item.name, item.ok]),
      SMOKE_MODES.map((mode) => [`Sign-in: ${mode}`, true]),
      JSON.stringify(items, null, 2),
    );
    assert.match(items[0]?.detail ?? '', /GET \/api\/me with the session cookie/);
    assert.match(items[1]?.detail ?? '', /POST \/jwt\/refresh \(rotated\)/);
    assert.match(items[2]?.detail ?? '', /authorization code \+ PKCE \(openid-client, authlab-desktop\)/);
    assert.equal(existsSync(dataDir), false, 'the throwaway data folder is removed');
  });

  test('a mode that refuses the demo account is ✗ with what it answered and the next step', async () => {
    // The demo accounts get another password than the one the smoke test signs in with.
    const items = await smokeSignIns({ env: { DEMO_PASSWORD: 'not-the-published-one' } });
    assert.deepEqual(
      items.map((item) => item.ok),
      [false, false, false],
    );
    assert.equal(items[0]?.detail, 'POST /session/login answered 401 invalid_credentials');
    assert.equal(items[1]?.detail, 'POST /jwt/login answered 401 invalid_credentials');
    assert.match(items[2]?.detail ?? '', /^OIDC: no authorization code/);
    assert.match(items[0]?.fix ?? '', /pnpm start.*\/login/);
    assert.match(items[1]?.fix ?? '', /pnpm start.*\/jwt/);
    assert.match(items[2]?.fix ?? '', /pnpm authlab login/);
  });

  test('a server that does not start is ✗ in every mode, with its own message', async () => {
    const items = await smokeSignIns({ env: { ACCESS_TOKEN_TTL: '10s' } });
    assert.equal(items.length, 3);
    for (const item of items) {
      assert.equal(item.ok, false);
      assert.match(item.detail, /^the server did not start: .*ACCESS_TOKEN_TTL must be between 1m and 24h/);
      assert.match(item.fix ?? '', /pnpm start/);
    }
  });
});
