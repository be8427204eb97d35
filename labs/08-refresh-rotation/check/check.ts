import assert from 'node:assert/strict';
import { defineChecks, type LabTarget, postJson } from '@authlab/lab-kit';

const DAY = 24 * 3600 * 1000;

type Tokens = { access_token: string; refresh_token: string };

async function signIn(lab: LabTarget, username = 'alice'): Promise<Tokens> {
  const response = await postJson(lab, '/login', { username, password: 'correct-horse-battery-staple' });
  assert.equal(response.status, 200, `${username} signs in with the password`);
  return (await response.json()) as Tokens;
}

const refresh = (lab: LabTarget, refresh_token: string) => postJson(lab, '/token/refresh', { refresh_token });

async function assertRefused(response: Response, message: string): Promise<void> {
  assert.equal(response.status, 401, message);
  assert.equal(
    ((await response.json()) as { error?: string }).error,
    'invalid_grant',
    `${message} (error "invalid_grant")`,
  );
}

const me = (lab: LabTarget, accessToken: string) =>
  fetch(`${lab.url}/api/me`, { headers: { authorization: `Bearer ${accessToken}` } });

export default defineChecks([
  {
    name: 'alice signs in and refreshes five times in a row; each refresh gives a new refresh token and a working access token',
    async run(lab) {
      let tokens = await signIn(lab);
      for (let round = 1; round <= 5; round += 1) {
        const response = await refresh(lab, tokens.refresh_token);
        assert.equal(response.status, 200, `refresh number ${round} with the newest refresh token`);
        const next = (await response.json()) as Tokens;
        assert.notEqual(next.refresh_token, tokens.refresh_token, 'every refresh returns a new refresh token');
        const who = await me(lab, next.access_token);
        assert.equal(who.status, 200, `GET /api/me with the access token of refresh number ${round}`);
        assert.deepEqual(await who.json(), { sub: 'alice' });
        tokens = next;
      }
    },
  },
  {
    name: 'a wrong password, a made-up refresh token and a missing access token are refused',
    async run(lab) {
      const wrong = await postJson(lab, '/login', { username: 'alice', password: 'not-her-password' });
      assert.equal(wrong.status, 401, 'a wrong password gets 401');
      await assertRefused(await refresh(lab, 'made-up-refresh-token'), 'a made-up refresh token gets 401');
      assert.equal((await fetch(`${lab.url}/api/me`)).status, 401, 'GET /api/me without a token gets 401');
    },
  },
  {
    // Anyone can send a made-up or an old token: reacting by revoking more than that token's own
    // family would let any stranger sign everyone out.
    name: "a made-up refresh token, or a replay of alice's, does not end bob's sign-in",
    async run(lab) {
      const bob = await signIn(lab, 'bob');
      const alice = await signIn(lab, 'alice');
      await assertRefused(await refresh(lab, 'made-up-refresh-token'), 'a made-up refresh token gets 401');
      await refresh(lab, alice.refresh_token);
      await refresh(lab, alice.refresh_token); // a replay: alice's family goes, and only hers
      const response = await refresh(lab, bob.refresh_token);
      assert.equal(response.status, 200, "bob's refresh token must still work: he had nothing to do with either");
    },
  },
  {
    name: 'a refresh token stops working 30 days after sign-in, however often it was rotated',
    async run(lab) {
      const first = await signIn(lab);
      await lab.advanceClock(29 * DAY);
      const response = await refresh(lab, first.refresh_token);
      assert.equal(response.status, 200, 'on day 29 the refresh token still works');
      const { refresh_token } = (await response.json()) as Tokens;
      await lab.advanceClock(2 * DAY);
      await assertRefused(
        await refresh(lab, refresh_token),
        'on day 31 the refresh token rotated on day 29 is refused: rotation must not extend the lifetime',
      );
    },
  },
  {
    name: "once a used refresh token comes back, its whole family is revoked: alice's app must sign in again",
    partOfTheFix: true,
    async run(lab) {
      const first = await signIn(lab);
      const rotated = await refresh(lab, first.refresh_token);
      assert.equal(rotated.status, 200, "alice's app refreshes");
      const newest = ((await rotated.json()) as Tokens).refresh_token;
      await assertRefused(
        await refresh(lab, first.refresh_token),
        'the used refresh token, presented again, is refused',
      );
      await assertRefused(
        await refresh(lab, newest),
        "after that replay, alice's newest refresh token is refused too: the server cannot tell the thief from alice, so the whole family must go",
      );
      const again = await signIn(lab);
      assert.equal(
        (await refresh(lab, again.refresh_token)).status,
        200,
        'after signing in again alice refreshes as usual',
      );
    },
  },
]);
