import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { before, describe, it, type TestContext } from 'node:test';
import { accountIdOf, freePort, needsChromium, useServerProcessAndBrowser } from '@authlab/testkit';
import type { Page } from 'playwright-core';
import { BrowserOpenError, LoopbackAuthorizer, type LoopbackAuthorizerOptions } from '../src/loopback-authorizer.ts';
import { NativeAuthError } from '../src/types.ts';
import {
  ALICE,
  assertPortClosed,
  authorizationRequestOf,
  loopbackRequest,
  loopbackTarget,
  playwrightOpener,
  recordingOpener,
  signInAtProvider,
  started,
} from './loopback-support.ts';

const withCode = (code: string) => (error: unknown) => {
  assert.ok(error instanceof NativeAuthError, `a NativeAuthError, got ${String(error)}`);
  assert.equal(error.code, code, error.message);
  return true;
};

describe('LoopbackAuthorizer against the real authlab server', () => {
  const suite = useServerProcessAndBrowser();
  let aliceId: string;
  let issuer: string;

  before(async () => {
    issuer = `${suite.server.url}/oidc`;
    aliceId = await accountIdOf(suite.server.url, ALICE.email, ALICE.password);
  });

  const authorizer = (options: Partial<LoopbackAuthorizerOptions> & Pick<LoopbackAuthorizerOptions, 'openBrowser'>) =>
    new LoopbackAuthorizer({ issuer, clientId: 'authlab-desktop', timeoutMs: 30_000, ...options });

  async function apiMe(accessToken: string) {
    const response = await fetch(`${suite.server.url}/api/me`, { headers: { authorization: `Bearer ${accessToken}` } });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  async function newPage(t: TestContext): Promise<Page> {
    const page = await suite.browser.newPage();
    t.after(() => page.context().close());
    return page;
  }

  describe('in the system browser (Chromium)', () => {
    it('signs alice in: tokens the API accepts as oidc, her ID token claims, a clean success page, the port closed', async (t) => {
      if (!needsChromium(t)) return;
      const page = await newPage(t);
      const opener = playwrightOpener(page);
      const callbacks: Array<{ url: string; status: number; headers: Record<string, string> }> = [];
      page.on('response', (response) => {
        if (new URL(response.url()).pathname === '/callback') {
          callbacks.push({ url: response.url(), status: response.status(), headers: response.headers() });
        }
      });
      const login = authorizer({ openBrowser: opener.openBrowser, resource: `${suite.server.url}/api` }).authorize();
      const { tokens, claims, redirectUri } = await Promise.race([login, opener.failed]);

      assert.match(redirectUri, /^http:\/\/127\.0\.0\.1:\d+\/callback$/);
      assert.equal(claims.email, ALICE.email);
      assert.equal(claims.sub, aliceId);
      assert.equal(claims.iss, issuer);
      assert.ok(tokens.refreshToken, 'offline_access was consented: a refresh token');
      assert.ok(tokens.idToken);
      assert.ok(tokens.expiresIn > 0);
      const me = await apiMe(tokens.accessToken);
      assert.equal(me.status, 200, JSON.stringify(me.body));
      assert.deepEqual(me.body, { sub: aliceId, email: ALICE.email, role: 'user', mode: 'oidc' });

      await page.locator('#result').waitFor();
      assert.equal(await page.locator('h1').textContent(), 'Signed in — you can close this tab');
      const finalUrl = new URL(page.url());
      assert.equal(finalUrl.href, `${new URL(redirectUri).origin}/done?ok=1`);
      assert.doesNotMatch(page.url(), /code=|state=/, 'the code is not in the address bar');
      assert.deepEqual(suite.browser.problems(page), [], 'no console errors or CSP violations on the result page');

      assert.equal(callbacks.length, 1);
      const [callback] = callbacks;
      assert.equal(callback?.status, 303);
      assert.equal(callback?.headers.location, '/done?ok=1');
      assert.equal(callback?.headers['cache-control'], 'no-store');
      assert.equal(callback?.headers['referrer-policy'], 'no-referrer');
      assert.match(callback?.headers['content-security-policy'] ?? '', /default-src 'none'/);

      const listener = { host: '127.0.0.1', port: Number(new URL(redirectUri).port) };
      await assertPortClosed(listener);
      const callbackUrl = new URL(callback?.url ?? '');
      assert.ok(callbackUrl.searchParams.get('code'), 'the browser did carry a code to /callback');
      await assert.rejects(loopbackRequest(listener, `${callbackUrl.pathname}${callbackUrl.search}`), /ECONNREFUSED/);
      // A second redemption of the code would have revoked the grant (RFC 6749 §4.1.2): the token still works.
      assert.equal((await apiMe(tokens.accessToken)).status, 200);
    });

    it('uses [::1] end to end when told to (where IPv4 loopback is missing)', async (t) => {
      if (!needsChromium(t)) return;
      const page = await newPage(t);
      const opener = playwrightOpener(page);
      const login = authorizer({ openBrowser: opener.openBrowser, hosts: ['::1'] }).authorize();
      const { tokens, claims, redirectUri } = await Promise.race([login, opener.failed]);

      assert.match(redirectUri, /^http:\/\/\[::1\]:\d+\/callback$/);
      assert.equal(claims.email, ALICE.email);
      assert.equal((await apiMe(tokens.accessToken)).body.mode, 'oidc');
      await page.locator('#result').waitFor();
      assert.equal(page.url(), `${new URL(redirectUri).origin}/done?ok=1`);
      await assertPortClosed({ host: '::1', port: Number(new URL(redirectUri).port) });
    });

    it('rejects with access_denied when alice denies, and the browser shows the failure page', async (t) => {
      if (!needsChromium(t)) return;
      const page = await newPage(t);
      const opener = playwrightOpener(page, 'deny');
      const login = started(authorizer({ openBrowser: opener.openBrowser }).authorize());
      await assert.rejects(Promise.race([login, opener.failed]), withCode('access_denied'));

      await page.locator('#result').waitFor();
      assert.match(page.url(), /^http:\/\/127\.0\.0\.1:\d+\/done\?error=access_denied$/);
      assert.equal(await page.locator('h1').textContent(), 'Sign-in failed');
      assert.match((await page.locator('#what').textContent()) ?? '', /You declined access/);
      assert.match((await page.locator('#todo').textContent()) ?? '', /start the sign-in again/);
      assert.equal(await page.locator('#error-code').textContent(), 'access_denied');
      assert.deepEqual(suite.browser.problems(page), []);
      await assertPortClosed({ host: '127.0.0.1', port: Number(new URL(page.url()).port) });
    });

    it('answers unrelated requests 404 and still completes the sign-in afterwards', async (t) => {
      if (!needsChromium(t)) return;
      const page = await newPage(t);
      const recorder = recordingOpener();
      const login = started(authorizer({ openBrowser: recorder.openBrowser }).authorize());
      const url = await recorder.url;
      const request = authorizationRequestOf(url);
      const callbackPath = `/callback?code=forged&state=${request.state}&iss=${encodeURIComponent(issuer)}`;
      const port = request.port;

      const refused = {
        favicon: await loopbackRequest(request, '/favicon.ico'),
        resultPageTooEarly: await loopbackRequest(request, '/done?ok=1'),
        postCallback: await loopbackRequest(request, callbackPath, { method: 'POST' }),
        headCallback: await loopbackRequest(request, callbackPath, { method: 'HEAD' }),
        // DNS rebinding: evil.example resolves to 127.0.0.1, but the browser sends its own name.
        reboundHost: await loopbackRequest(request, callbackPath, { hostHeader: `evil.example:${port}` }),
        localhostHost: await loopbackRequest(request, callbackPath, { hostHeader: `localhost:${port}` }),
        // A page's fetch, image or frame reaching for the listener is not the browser's navigation.
        noCorsFetch: await loopbackRequest(request, callbackPath, { headers: { 'sec-fetch-mode': 'no-cors' } }),
        iframe: await loopbackRequest(request, callbackPath, {
          headers: { 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'iframe' },
        }),
      };
      for (const [name, response] of Object.entries(refused)) {
        assert.equal(response.status, 404, name);
        assert.equal(response.headers['cache-control'], 'no-store', name);
      }

      await signInAtProvider(page, url, 'allow');
      const { claims } = await login;
      assert.equal(claims.email, ALICE.email);
      await page.locator('#result').waitFor();
      assert.match(page.url(), /\/done\?ok=1$/);
      await assertPortClosed(request);
    });

    it('checks the ID token against the injected clock: two hours ahead, the token has expired', async (t) => {
      if (!needsChromium(t)) return;
      const page = await newPage(t);
      const opener = playwrightOpener(page);
      const clock = () => Date.now() + 2 * 60 * 60_000;
      const login = started(authorizer({ openBrowser: opener.openBrowser, clock }).authorize());
      await assert.rejects(Promise.race([login, opener.failed]), (error: unknown) => {
        withCode('exchange_failed')(error);
        assert.match((error as Error).message, /the token request or its ID token failed: .*timestamp/);
        return true;
      });
      await page.locator('#result').waitFor();
      assert.match(page.url(), /\/done\?error=exchange_failed$/);
      await assertPortClosed({ host: '127.0.0.1', port: Number(new URL(page.url()).port) });
    });

    it('lets a second authorize() supersede the first: the first rejects and its listener closes', async (t) => {
      if (!needsChromium(t)) return;
      const page = await newPage(t);
      const recorder = recordingOpener();
      const opener = playwrightOpener(page);
      let useRecorder = true;
      const shared = authorizer({
        openBrowser: (url) => (useRecorder ? recorder.openBrowser(url) : opener.openBrowser(url)),
      });
      const first = started(shared.authorize());
      const firstRequest = authorizationRequestOf(await recorder.url);

      useRecorder = false;
      const second = shared.authorize();
      await assert.rejects(first, withCode('superseded'));
      await assertPortClosed(firstRequest);
      // The first sign-in's callback, arriving late, reaches nothing.
      await assert.rejects(loopbackRequest(firstRequest, `/callback?state=${firstRequest.state}`), /ECONNREFUSED/);

      const { claims } = await Promise.race([second, opener.failed]);
      assert.equal(claims.email, ALICE.email);
    });
  });

  describe('refusing bad callbacks', () => {
    it("ignores a callback without this sign-in's state (404) and keeps waiting for the real one", async () => {
      const recorder = recordingOpener();
      const login = started(authorizer({ openBrowser: recorder.openBrowser }).authorize());
      const request = authorizationRequestOf(await recorder.url);
      const iss = encodeURIComponent(issuer);

      // Any local process can reach the listener: a guessed, missing or repeated state ends nothing.
      for (const path of [
        `/callback?code=abc&state=not-${request.state}&iss=${iss}`,
        `/callback?code=abc&iss=${iss}`,
        `/callback?code=abc&state=${request.state}&state=other&iss=${iss}`,
      ]) {
        const ignored = await loopbackRequest(request, path);
        assert.equal(ignored.status, 404, path);
        assert.equal(ignored.headers['cache-control'], 'no-store', path);
      }

      // Still waiting: the response with this sign-in's state is taken (its made-up code then
      // fails at the token endpoint, which shows the listener had kept the sign-in open).
      const real = await loopbackRequest(request, `/callback?code=abc&state=${request.state}&iss=${iss}`);
      assert.equal(real.status, 303);
      assert.equal(real.headers.location, '/done?error=exchange_failed');
      await assert.rejects(login, withCode('exchange_failed'));
      await assertPortClosed(request);
    });

    it('rejects a response from another issuer with iss_mismatch (RFC 9207 mix-up defence)', async () => {
      const recorder = recordingOpener();
      const login = started(authorizer({ openBrowser: recorder.openBrowser }).authorize());
      const request = authorizationRequestOf(await recorder.url);

      const callback = await loopbackRequest(
        request,
        `/callback?code=abc&state=${request.state}&iss=${encodeURIComponent('https://evil.example/oidc')}`,
      );
      assert.equal(callback.headers.location, '/done?error=iss_mismatch');
      assert.match((await loopbackRequest(request, '/done?error=iss_mismatch')).body, /different sign-in server/);
      await assert.rejects(login, (error: unknown) => {
        withCode('iss_mismatch')(error);
        assert.match((error as Error).message, /evil\.example/);
        return true;
      });
      await assertPortClosed(request);
    });

    it('rejects a response without iss, since this provider promises one', async () => {
      const recorder = recordingOpener();
      const login = started(authorizer({ openBrowser: recorder.openBrowser }).authorize());
      const request = authorizationRequestOf(await recorder.url);
      const callback = await loopbackRequest(request, `/callback?code=abc&state=${request.state}`);
      assert.equal(callback.headers.location, '/done?error=iss_mismatch');
      await loopbackRequest(request, '/done?error=iss_mismatch');
      await assert.rejects(login, withCode('iss_mismatch'));
      await assertPortClosed(request);
    });

    it('answers success only after the code was redeemed: a code the server refuses is exchange_failed', async () => {
      const recorder = recordingOpener();
      const login = started(authorizer({ openBrowser: recorder.openBrowser }).authorize());
      const request = authorizationRequestOf(await recorder.url);

      const callback = await loopbackRequest(
        request,
        `/callback?code=not-a-real-code&state=${request.state}&iss=${encodeURIComponent(issuer)}`,
      );
      assert.equal(callback.headers.location, '/done?error=exchange_failed');
      const result = await loopbackRequest(request, '/done?error=exchange_failed');
      assert.match(result.body, /could not complete the sign-in with the server/);
      await assert.rejects(login, (error: unknown) => {
        withCode('exchange_failed')(error);
        assert.match((error as Error).message, /invalid_grant/);
        return true;
      });
      await assertPortClosed(request);
    });

    it('serves the failure page the app supplies, built from the error', async () => {
      const recorder = recordingOpener();
      const login = started(
        authorizer({
          openBrowser: recorder.openBrowser,
          pages: { failure: (error) => `<!doctype html><title>x</title><p id="mine">${error.code}</p>` },
        }).authorize(),
      );
      const request = authorizationRequestOf(await recorder.url);
      await loopbackRequest(request, `/callback?error=access_denied&state=${request.state}&iss=${issuer}`);
      const result = await loopbackRequest(request, '/done?error=access_denied');
      assert.equal(result.body, '<!doctype html><title>x</title><p id="mine">access_denied</p>');
      await assert.rejects(login, withCode('access_denied'));
      await assertPortClosed(request);
    });
  });

  describe('its lifecycle', () => {
    it('times out with timeout and closes the port when nobody comes back', async () => {
      const recorder = recordingOpener();
      const login = started(authorizer({ openBrowser: recorder.openBrowser, timeoutMs: 300 }).authorize());
      const request = authorizationRequestOf(await recorder.url);
      await assert.rejects(login, withCode('timeout'));
      await assertPortClosed(request);
    });

    it('stops with aborted when the signal aborts, and closes the port', async () => {
      const recorder = recordingOpener();
      const controller = new AbortController();
      const login = started(authorizer({ openBrowser: recorder.openBrowser }).authorize({ signal: controller.signal }));
      const request = authorizationRequestOf(await recorder.url);
      controller.abort();
      await assert.rejects(login, withCode('aborted'));
      await assertPortClosed(request);
    });

    it('does not start at all with an already aborted signal', async () => {
      let opened = false;
      const login = authorizer({
        openBrowser: async () => {
          opened = true;
        },
      }).authorize({ signal: AbortSignal.abort() });
      await assert.rejects(login, withCode('aborted'));
      assert.equal(opened, false);
    });

    it('binds 127.0.0.1 itself, not every interface: the same port is closed on 127.0.0.2', async () => {
      // A listener on 0.0.0.0 (the firewall-prompt mistake) would also answer on 127.0.0.2,
      // which Linux routes to the loopback interface on every machine, so this needs no network.
      const recorder = recordingOpener();
      const controller = new AbortController();
      const login = started(authorizer({ openBrowser: recorder.openBrowser }).authorize({ signal: controller.signal }));
      const request = authorizationRequestOf(await recorder.url);
      assert.equal((await loopbackRequest(request, '/favicon.ico')).status, 404, 'listening on 127.0.0.1');
      await assertPortClosed({ host: '127.0.0.2', port: request.port });
      controller.abort();
      await assert.rejects(login, withCode('aborted'));
    });

    it('rejects with port_in_use when the fixed port is taken, naming the port', async (t) => {
      const squatter = createServer().listen(0, '127.0.0.1');
      await once(squatter, 'listening');
      t.after(() => squatter.close());
      const port = (squatter.address() as { port: number }).port;
      let opened = false;
      const login = authorizer({
        port,
        openBrowser: async () => {
          opened = true;
        },
      }).authorize();
      await assert.rejects(login, (error: unknown) => {
        withCode('port_in_use')(error);
        assert.match((error as Error).message, new RegExp(`port ${port} .*already in use`));
        return true;
      });
      assert.equal(opened, false, 'no browser for a sign-in that cannot complete');
    });

    it('frees a fixed port for the next sign-in: a superseding authorize() binds the same port', async () => {
      const port = await freePort();
      const firstOpener = recordingOpener();
      const secondOpener = recordingOpener();
      let opener = firstOpener;
      const shared = authorizer({ port, openBrowser: (url) => opener.openBrowser(url) });
      const first = started(shared.authorize());
      assert.equal(authorizationRequestOf(await firstOpener.url).port, port);

      opener = secondOpener;
      const controller = new AbortController();
      const second = started(shared.authorize({ signal: controller.signal }));
      await assert.rejects(first, withCode('superseded'));
      assert.equal(authorizationRequestOf(await secondOpener.url).port, port, 'no EADDRINUSE on the second click');
      controller.abort();
      await assert.rejects(second, withCode('aborted'));
      await assertPortClosed({ host: '127.0.0.1', port });
    });

    it('survives rapid clicks: every earlier sign-in is superseded, the last one alone runs', async () => {
      const port = await freePort();
      const recorder = recordingOpener();
      const shared = authorizer({ port, openBrowser: recorder.openBrowser });
      const earlier = [started(shared.authorize()), started(shared.authorize()), started(shared.authorize())];
      const controller = new AbortController();
      const last = started(shared.authorize({ signal: controller.signal }));
      for (const attempt of earlier) await assert.rejects(attempt, withCode('superseded'));
      assert.equal(authorizationRequestOf(await recorder.url).port, port);
      controller.abort();
      await assert.rejects(last, withCode('aborted'));
      await assertPortClosed({ host: '127.0.0.1', port });
    });

    it('rejects with browser_failed and the URL to open when the browser cannot be started', async () => {
      const login = authorizer({
        openBrowser: async () => {
          throw new Error('spawn xdg-open ENOENT');
        },
      }).authorize();
      let url = '';
      await assert.rejects(login, (error: unknown) => {
        withCode('browser_failed')(error);
        assert.ok(error instanceof BrowserOpenError);
        url = error.url;
        assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/start\/[\w-]{43}$/, 'the start link, no state or challenge');
        assert.ok(error.message.includes(url), 'the message carries the URL, for a CLI to print');
        assert.match(error.message, /xdg-open ENOENT/);
        return true;
      });
      await assertPortClosed(loopbackTarget(url));
    });

    it('rejects with discovery_failed when the server cannot be reached', async () => {
      const port = await freePort();
      const login = new LoopbackAuthorizer({
        issuer: `http://127.0.0.1:${port}/oidc`,
        clientId: 'authlab-desktop',
        openBrowser: async () => {},
      }).authorize();
      await assert.rejects(login, withCode('discovery_failed'));
    });
  });

  describe('its configuration', () => {
    it('refuses plain http to an issuer that is not on this machine', () => {
      assert.throws(
        () =>
          new LoopbackAuthorizer({ issuer: 'http://id.example.com/oidc', clientId: 'x', openBrowser: async () => {} }),
        (error: unknown) => withCode('insecure_issuer')(error) && /https/.test((error as Error).message),
      );
      assert.doesNotThrow(
        () => new LoopbackAuthorizer({ issuer: 'https://id.example.com', clientId: 'x', openBrowser: async () => {} }),
      );
    });

    it('binds loopback IP literals only, never all interfaces or localhost', () => {
      for (const host of ['0.0.0.0', 'localhost', '::']) {
        assert.throws(
          () =>
            new LoopbackAuthorizer({
              issuer,
              clientId: 'x',
              openBrowser: async () => {},
              hosts: [host as '127.0.0.1'],
            }),
          /loopback IP literals/,
        );
      }
    });
  });
});
