import assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext } from 'node:test';
import {
  DEMO_PASSWORD,
  findChromium,
  removeDir,
  requireComponent,
  type ServerProcess,
  startServerProcess,
} from '@authlab/testkit';
import type { Browser } from 'playwright-core';
import { launchLabBrowser } from '../src/browser.ts';
import { type RecordedSequences, recordSequences, sequencesSection } from '../src/compare/sequence-diagrams.ts';
import { MODES } from '../src/compare/types.ts';

const chromiumFound = findChromium() !== null;
const needsChromium = (t: TestContext) => requireComponent(t, chromiumFound, 'Chromium', 'apt-get install chromium');

describe('pnpm lab compare: the sequence diagrams of the report', () => {
  let server: ServerProcess;
  let browser: Browser;
  let sequences: RecordedSequences;

  before(async () => {
    if (!chromiumFound) return;
    server = await startServerProcess();
    browser = await launchLabBrowser();
    sequences = await recordSequences(browser, server.url, { email: 'alice@example.com', password: DEMO_PASSWORD });
  });
  after(async () => {
    await browser?.close();
    if (server) {
      await server.stop();
      removeDir(server.dataDir);
    }
  });

  it('records each mode’s sign-in, API call, refresh and sign-out as the server saw them', (t) => {
    if (!needsChromium(t)) return;
    const labels = (mode: (typeof MODES)[number]) => sequences[mode].map((m) => m.label);
    assert.ok(labels('session').includes('POST /session/login'));
    assert.ok(labels('session').includes('POST /session/logout'));
    assert.ok(labels('jwt').includes('POST /jwt/login'));
    assert.ok(labels('jwt').includes('POST /jwt/refresh'));
    assert.ok(labels('oidc').includes('GET /oidc/auth'));
    assert.ok(labels('oidc').includes('POST /oidc/token'));
    assert.ok(labels('oidc').includes('POST /oidc/token/revocation'));
    for (const mode of MODES) {
      assert.ok(labels(mode).includes('GET /api/me'), `${mode} called the API`);
      assert.ok(sequences[mode].some((m) => m.reply) && sequences[mode].some((m) => !m.reply), mode);
    }
  });

  it('draws them in the report as SVG and Mermaid, with no password or secret whole', (t) => {
    if (!needsChromium(t)) return;
    const html = sequencesSection(sequences);
    assert.equal(html.match(/<svg /g)?.length, 3);
    assert.equal(html.match(/sequenceDiagram/g)?.length, 3);
    assert.equal(html.includes(DEMO_PASSWORD), false);
    // The PKCE challenge is public by design; every other 43-character value would be a secret.
    const rest = html.replace(/code_challenge[=:]\s?[\w-]{43}/g, '');
    assert.doesNotMatch(rest, /[\w-]{43}/);
    assert.doesNotMatch(rest, /eyJ[\w-]{10,}\.[\w-]{10,}\.[\w-]{10,}/);
    assert.equal(sequencesSection(undefined), '', 'no section when the part failed');
  });
});
