import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as oidc from 'openid-client';
import { followToClient } from './support/oidc.ts';
import { RP_REDIRECT, useServerAndThirdPartyApp } from './support/relying-party.ts';
import { Client } from './support/server.ts';

/**
 * `response_mode=form_post` and `fragment` are refused however the authorization endpoint is
 * spelled: oidc-provider's router matches paths case-insensitively and with a trailing slash, and
 * takes POST too, so a check of the exact path `/oidc/auth` let `/oidc/AUTH` deliver the code in
 * a form. openid-client builds the requests; the person is signed in and consents.
 */
describe('response modes other than query, at every spelling of the authorization endpoint', () => {
  const suite = useServerAndThirdPartyApp();

  async function authorizationParams(responseMode: string) {
    const url = oidc.buildAuthorizationUrl(suite.config, {
      redirect_uri: RP_REDIRECT,
      scope: 'openid api',
      state: oidc.randomState(),
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
      response_mode: responseMode,
    });
    return url.searchParams;
  }

  /** No code reached the person's browser in any answer: not in a redirect, not in a form. */
  function assertNoCodeDelivered(ended: Awaited<ReturnType<typeof followToClient>>) {
    assert.equal(ended.url, null, `delivered to ${ended.url}`);
    for (const hop of ended.seen) assert.doesNotMatch(hop, /[?#&]code=/, hop);
    assert.doesNotMatch(ended.body ?? '', /name="code"/, 'a form carrying the code');
  }

  for (const path of ['/oidc/auth', '/oidc/AUTH', '/oidc/Auth', '/oidc/auth/', '/oidc/AUTH/']) {
    for (const mode of ['form_post', 'fragment']) {
      it(`refuses response_mode=${mode} at ${path} on the error page, before the login`, async () => {
        const browser = new Client(suite.server.url);
        const start = `${path}?${await authorizationParams(mode)}`;
        const first = await browser.request(start);
        const body = await first.text();
        assert.equal(first.status, 400, body);
        assert.equal(first.headers.get('location'), null);
        assert.match(body, /id="oidc-error-code">unsupported_response_mode</);
        // And driven to the end as a person would, nothing carries a code.
        assertNoCodeDelivered(await followToClient(browser, start, RP_REDIRECT));
      });
    }
  }

  for (const mode of ['form_post', 'fragment']) {
    it(`never delivers a code for response_mode=${mode} sent in a POST body`, async () => {
      const browser = new Client(suite.server.url);
      const params = await authorizationParams(mode);
      const first = await browser.request('/oidc/auth', { method: 'POST', form: Object.fromEntries(params) });
      const body = await first.text();
      assert.ok(first.status >= 400 && first.status < 500, `${first.status} ${body}`);
      assert.equal(first.headers.get('location'), null);
      assert.doesNotMatch(body, /name="code"/);
    });
  }

  it('still signs in with response_mode=query at the canonical path', async () => {
    const ended = await followToClient(
      new Client(suite.server.url),
      `/oidc/auth?${await authorizationParams('query')}`,
      RP_REDIRECT,
    );
    assert.ok(ended.params?.get('code'), `no code: ${ended.status} ${ended.body}`);
  });
});
