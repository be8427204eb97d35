import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { NativeAuthError } from '@authlab/native-client';
import { readRendererFile } from '../src/core/renderer-files.ts';
import {
  APP_URL,
  guardedOpener,
  isLoopbackStartLink,
  navigationPolicy,
  RENDERER_CSP,
  SECURE_WEB_PREFERENCES,
} from '../src/core/window-policy.ts';

const SERVER = 'http://127.0.0.1:4000';

function recorder() {
  const opened: string[] = [];
  return { opened, open: async (url: string) => void opened.push(url) };
}

describe("the loopback authorizer's start link", () => {
  const secret = `${'a'.repeat(40)}_-9`;
  it('is a loopback IP literal with a port and /start/<43-character secret>, nothing else', () => {
    assert.equal(isLoopbackStartLink(`http://127.0.0.1:53123/start/${secret}`), true);
    assert.equal(isLoopbackStartLink(`http://[::1]:53123/start/${secret}`), true);
    for (const other of [
      `http://localhost:53123/start/${secret}`,
      `https://127.0.0.1:53123/start/${secret}`,
      `http://127.0.0.1/start/${secret}`,
      `http://127.0.0.1:53123/start/${secret}?state=x`,
      `http://127.0.0.1:53123/start/${secret}#x`,
      `http://u:p@127.0.0.1:53123/start/${secret}`,
      `http://127.0.0.1:53123/start/${secret}x`,
      'http://127.0.0.1:53123/callback?code=x',
      `http://127.0.0.2:53123/start/${secret}`,
      'not a url',
    ]) {
      assert.equal(isLoopbackStartLink(other), false, other);
    }
  });
});

describe('shell.openExternal guard', () => {
  it('opens http(s) URLs of the configured server and issuer', async () => {
    const { opened, open } = recorder();
    const guarded = guardedOpener([SERVER, `${SERVER}/oidc`, 'https://id.example.com/realms/x'], open);
    await guarded(`${SERVER}/oidc/auth?client_id=authlab-desktop&state=abc`);
    await guarded(`${SERVER}/`);
    await guarded('https://id.example.com/realms/x/protocol/openid-connect/auth');
    assert.deepEqual(opened, [
      `${SERVER}/oidc/auth?client_id=authlab-desktop&state=abc`,
      `${SERVER}/`,
      'https://id.example.com/realms/x/protocol/openid-connect/auth',
    ]);
  });

  it('refuses other schemes, other hosts, other ports and credentials in the URL', async () => {
    const { opened, open } = recorder();
    const guarded = guardedOpener([SERVER], open);
    const refused = [
      'file:///etc/passwd',
      'javascript:alert(1)',
      'smb://attacker.example/share',
      'ms-msdt:/id PCWDiagnostic',
      'https://evil.example/phish',
      'http://127.0.0.1:4001/',
      'http://localhost:4000/',
      'https://127.0.0.1:4000/',
      'http://alice:pw@127.0.0.1:4000/',
      'http://127.0.0.1:4000@evil.example/',
      'not a url',
      '',
    ];
    for (const url of refused) {
      await assert.rejects(guarded(url), (error: unknown) => {
        assert.ok(error instanceof NativeAuthError, url);
        assert.equal(error.code, 'external_url_refused');
        return true;
      });
    }
    assert.deepEqual(opened, []);
  });
});

describe('window navigation policy', () => {
  it('keeps the window on the app: navigation elsewhere is blocked', () => {
    const policy = navigationPolicy(APP_URL, async () => {});
    assert.equal(policy.shouldBlockNavigation('app://authlab/index.html#timeline'), false);
    for (const url of [`${SERVER}/`, 'https://evil.example/', 'file:///etc/passwd', 'app://other/', 'about:blank']) {
      assert.equal(policy.shouldBlockNavigation(url), true, url);
    }
  });

  it('denies every new window; a link to the server goes to the system browser instead', async () => {
    const { opened, open } = recorder();
    const policy = navigationPolicy(APP_URL, guardedOpener([SERVER], open));
    assert.deepEqual(policy.onWindowOpen(`${SERVER}/`), { action: 'deny' });
    assert.deepEqual(policy.onWindowOpen('https://evil.example/'), { action: 'deny' });
    assert.deepEqual(policy.onWindowOpen(APP_URL), { action: 'deny' });
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(opened, [`${SERVER}/`]);
  });

  it('runs the page isolated, sandboxed and without Node', () => {
    assert.equal(SECURE_WEB_PREFERENCES.contextIsolation, true);
    assert.equal(SECURE_WEB_PREFERENCES.sandbox, true);
    assert.equal(SECURE_WEB_PREFERENCES.nodeIntegration, false);
    assert.equal(SECURE_WEB_PREFERENCES.nodeIntegrationInSubFrames, false);
    assert.equal(SECURE_WEB_PREFERENCES.webSecurity, true);
    assert.equal(SECURE_WEB_PREFERENCES.webviewTag, false);
  });

  it('has a strict CSP, and the page’s meta tag says the same', () => {
    assert.match(RENDERER_CSP, /default-src 'none'/);
    assert.match(RENDERER_CSP, /script-src 'self'(;|$)/);
    assert.match(RENDERER_CSP, /connect-src 'none'/);
    assert.doesNotMatch(RENDERER_CSP, /unsafe-inline|unsafe-eval|\*/);
    const html = readFileSync(new URL('../src/renderer/index.html', import.meta.url), 'utf8');
    const meta = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html)?.[1];
    // frame-ancestors only works as a header, so the meta tag leaves it out.
    assert.equal(meta, RENDERER_CSP.replace("; frame-ancestors 'none'", ''));
    assert.doesNotMatch(html, /<script>|\son[a-z]+="/, 'no inline script or handler');
  });
});

describe('the app protocol', () => {
  it('serves the renderer’s files with the CSP header, and nothing outside its folder', async () => {
    const root = await mkdtemp(join(tmpdir(), 'authlab-renderer-'));
    try {
      await writeFile(join(root, 'index.html'), '<!doctype html><title>t</title>');
      await writeFile(join(root, 'renderer.js'), 'void 0;');
      await writeFile(join(root, 'notes.txt'), 'not a page file');
      const index = await readRendererFile(root, 'app://authlab/index.html', APP_URL);
      assert.equal(index.status, 200);
      assert.equal(index.headers['content-security-policy'], RENDERER_CSP);
      assert.equal(index.headers['content-type'], 'text/html; charset=utf-8');
      assert.equal((await readRendererFile(root, 'app://authlab/', APP_URL)).status, 200);
      assert.equal((await readRendererFile(root, 'app://authlab/renderer.js', APP_URL)).status, 200);
      for (const url of [
        'app://authlab/../package.json',
        'app://authlab/%2e%2e/%2e%2e/package.json',
        'app://authlab/..%2f..%2fpackage.json',
        'app://authlab/notes.txt',
        'app://authlab/missing.js',
        'app://other/index.html',
        `${SERVER}/index.html`,
      ]) {
        const answer = await readRendererFile(root, url, APP_URL);
        assert.equal(answer.status, 404, url);
        assert.equal(answer.headers['content-security-policy'], RENDERER_CSP);
      }
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
