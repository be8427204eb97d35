import assert from 'node:assert/strict';
import { defineChecks, type LabTarget, postJson } from '@authlab/lab-kit';
import { minutesUntilRefused } from '../attack/measure.ts';

const PASSWORDS: Record<string, string> = { alice: 'alice-in-wonderland', bob: 'bob-the-builder-42' };

const post = (lab: LabTarget, path: string, body: unknown, accessToken?: string) =>
  postJson(lab, path, body, accessToken ? { authorization: `Bearer ${accessToken}` } : {});

async function signIn(lab: LabTarget, username: string) {
  const response = await post(lab, '/login', { username, password: PASSWORDS[username] });
  assert.equal(response.status, 200, `${username} signs in`);
  return (await response.json()) as { access_token: string; expires_in: number; refresh_token: string };
}

const me = (lab: LabTarget, accessToken: string) =>
  fetch(`${lab.url}/api/me`, { headers: { authorization: `Bearer ${accessToken}` } });

export default defineChecks([
  {
    name: "with no logout, alice's access token works for its whole 15 minutes, then expires",
    async run(lab) {
      assert.equal((await post(lab, '/login', { username: 'alice', password: 'wrong' })).status, 401);
      const unsigned = await fetch(`${lab.url}/api/me`);
      assert.equal(unsigned.status, 401, 'GET /api/me without a token is 401');
      const { access_token, expires_in } = await signIn(lab, 'alice');
      // Shorter tokens only shrink the window a stolen one is good for; they revoke nothing.
      assert.equal(expires_in, 15 * 60, 'access tokens last 15 minutes (expires_in 900)');
      const answer = await me(lab, access_token);
      assert.equal(answer.status, 200, 'GET /api/me with a fresh token is 200');
      assert.deepEqual(await answer.json(), { username: 'alice' });
      const lifetime = await minutesUntilRefused(lab, access_token, expires_in / 60 + 1);
      assert.equal(lifetime, expires_in / 60, `the token should work for ${expires_in / 60} minutes, then get 401`);
    },
  },
  {
    name: 'after logging out everywhere, alice signs in again and her new tokens work; the old refresh token does not',
    async run(lab) {
      const first = await signIn(lab, 'alice');
      assert.equal((await post(lab, '/logout-all', {}, first.access_token)).status, 204);
      const oldRefresh = await post(lab, '/refresh', { refresh_token: first.refresh_token });
      assert.equal(oldRefresh.status, 401, 'the refresh token from before logout-all is dead');
      // A second later, as a person would: `iat` counts whole seconds.
      await lab.advanceClock(1_000);
      const second = await signIn(lab, 'alice');
      assert.equal((await me(lab, second.access_token)).status, 200, 'the token from the new sign-in works');
      const refreshed = await post(lab, '/refresh', { refresh_token: second.refresh_token });
      assert.equal(refreshed.status, 200, 'the new refresh token works');
      const { access_token } = (await refreshed.json()) as { access_token: string };
      assert.equal((await me(lab, access_token)).status, 200, 'the refreshed access token works');
    },
  },
  {
    name: 'alice logging out everywhere leaves bob signed in',
    async run(lab) {
      const bob = await signIn(lab, 'bob');
      const alice = await signIn(lab, 'alice');
      await lab.advanceClock(60_000);
      assert.equal((await post(lab, '/logout-all', {}, alice.access_token)).status, 204);
      assert.equal((await me(lab, bob.access_token)).status, 200, "bob's access token still works");
      const refreshed = await post(lab, '/refresh', { refresh_token: bob.refresh_token });
      assert.equal(refreshed.status, 200, "bob's refresh token still works");
    },
  },
  {
    // RFC 6750 §3.1: a revoked token is an invalid token, 401 with WWW-Authenticate. A 403 tells
    // the client "valid, but not allowed": it neither refreshes nor signs in again, it gives up.
    name: 'a token from before logout-all gets 401 invalid_token with WWW-Authenticate, as an expired one does',
    partOfTheFix: true,
    async run(lab) {
      const laptop = await signIn(lab, 'alice');
      const phone = await signIn(lab, 'alice');
      assert.equal((await post(lab, '/logout-all', {}, phone.access_token)).status, 204);
      const answer = await me(lab, laptop.access_token);
      assert.equal(
        answer.status,
        401,
        `GET /api/me with the laptop's token after logout-all answered ${answer.status}`,
      );
      assert.deepEqual(await answer.json(), { error: 'invalid_token' });
      assert.match(
        answer.headers.get('www-authenticate') ?? '',
        /^Bearer\b.*invalid_token/,
        'WWW-Authenticate: Bearer error="invalid_token"',
      );
    },
  },
]);
