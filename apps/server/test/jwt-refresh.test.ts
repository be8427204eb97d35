import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import {
  assertAccessDead,
  assertAccessWorks,
  assertOneWinner,
  assertRefreshDead,
  describeForEachStore,
  familyOf,
  jwtLogin,
  loginPair,
  REFRESH_TOKEN_SHAPE,
  refresh,
  refreshRace,
} from './support/jwt.ts';
import { Client, DEMO_PASSWORD, manualClock, type TestServer } from './support/server.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** The one cookie named `name` among the response's Set-Cookie lines, split into value and attributes. */
function setCookie(headers: Headers, name: string) {
  const line = headers.getSetCookie().find((l) => l.startsWith(`${name}=`));
  assert.ok(line, `no Set-Cookie for ${name} in ${JSON.stringify(headers.getSetCookie())}`);
  const [pair = '', ...attributes] = line.split(';').map((part) => part.trim());
  return { value: pair.slice(name.length + 1), attributes: attributes.map((a) => a.toLowerCase()) };
}

describeForEachStore('JWT refresh', (store) => {
  describe('rotation and replay', () => {
    let server: TestServer;
    /** No reuse grace window: every second presentation is reuse (jwt-refresh-grace.test.ts has the window). */
    let strict: TestServer;
    const clock = manualClock();
    before(async () => {
      server = await store.start({ clock });
      strict = await store.start({ clock: manualClock(), env: { REFRESH_REUSE_GRACE: '0' } });
    });

    it('answers a login with a Bearer pair, a 43-char base64url refresh token and no caching', async () => {
      const login = await jwtLogin(server.url, 'alice@example.com');
      assert.equal(login.status, 200);
      assert.equal(login.body.token_type, 'Bearer');
      assert.equal(login.body.expires_in, 900);
      assert.match(login.body.access_token, /^[\w-]+\.[\w-]+\.[\w-]+$/);
      assert.match(login.body.refresh_token, REFRESH_TOKEN_SHAPE);
      assert.equal(login.headers.get('cache-control'), 'no-store');
      assert.equal(login.headers.get('pragma'), 'no-cache');
      await assertAccessWorks(server.url, login.body.access_token, 'alice@example.com');
    });

    it('rotates: a refresh returns a new pair whose access token works, and the old refresh token is dead once its 30 s grace window is over', async () => {
      const first = await loginPair(server.url, 'alice@example.com');
      const rotated = await refresh(server.url, first.refresh_token);
      assert.equal(rotated.status, 200);
      assert.equal(rotated.body.token_type, 'Bearer');
      assert.equal(rotated.body.expires_in, 900);
      assert.equal(rotated.headers.get('cache-control'), 'no-store');
      assert.equal(rotated.headers.get('pragma'), 'no-cache');
      assert.match(rotated.body.refresh_token, REFRESH_TOKEN_SHAPE);
      assert.notEqual(rotated.body.refresh_token, first.refresh_token);
      assert.notEqual(rotated.body.access_token, first.access_token);
      await assertAccessWorks(server.url, rotated.body.access_token, 'alice@example.com');
      // Within the window it can only fetch the same successor again (jwt-refresh-grace.test.ts).
      assert.equal((await refresh(server.url, first.refresh_token)).body.refresh_token, rotated.body.refresh_token);
      clock.advance(30_000);
      await assertRefreshDead(server.url, first.refresh_token, 'the rotated refresh token still works');
    });

    it('revokes the whole family when a rotated refresh token is replayed: newest refresh and access tokens die too', async () => {
      const first = await loginPair(server.url, 'alice@example.com');
      const second = (await refresh(server.url, first.refresh_token)).body;
      const newest = (await refresh(server.url, second.refresh_token)).body;
      assert.match(newest.refresh_token, REFRESH_TOKEN_SHAPE);
      await assertAccessWorks(server.url, newest.access_token);

      // The thief (or a stale copy) presents a spent token.
      const replay = await refresh(server.url, first.refresh_token);
      assert.equal(replay.status, 401);
      assert.equal(replay.body.error, 'invalid_grant');

      await assertRefreshDead(server.url, newest.refresh_token, 'the newest refresh token survived the replay');
      await assertAccessDead(server.url, newest.access_token, 'the newest access token survived the replay');
      await assertAccessDead(server.url, second.access_token);
    });

    for (const count of [20, 200]) {
      it(`lets exactly one of ${count} parallel refreshes with one token win, answers the rest 401 invalid_grant, and then revokes the family, the winner's new tokens included (strict reuse detection, REFRESH_REUSE_GRACE=0)`, async () => {
        const pair = await loginPair(strict.url, 'bob@example.com');
        const answers = await refreshRace([strict.url], pair.refresh_token, count);

        const winner = assertOneWinner(answers);
        assert.equal(answers.length, count);

        // The losers presented a spent token: a replay, so the family is gone with the winner's pair.
        assert.match(winner.refresh_token, REFRESH_TOKEN_SHAPE);
        await assertAccessDead(strict.url, winner.access_token, "the winner's access token survived the reuse");
        await assertRefreshDead(strict.url, winner.refresh_token, "the winner's refresh token survived the reuse");
        await assertAccessDead(strict.url, pair.access_token);
        const family = await strict.deps.store.refreshTokens.getFamily(familyOf(pair.access_token));
        assert.equal(family?.revokedReason, 'reuse_detected');
      });
    }

    it('refuses a malformed refresh token (too short, not base64url, 10 KB) with 401 invalid_grant, never 500', async () => {
      const malformed = {
        'too short': 'abc',
        'not base64url': `${'A'.repeat(41)}+/`,
        'with padding': `${'A'.repeat(42)}=`,
        '10 KB': 'A'.repeat(10 * 1024),
      };
      for (const [what, token] of Object.entries(malformed)) {
        const answer = await refresh(server.url, token);
        assert.equal(answer.status, 401, `${what}: ${answer.status} ${JSON.stringify(answer.body)}`);
        assert.equal(answer.body.error, 'invalid_grant', what);
      }
    });

    it('refuses a refresh_token of the wrong JSON type with 400 invalid_request, never 500', async () => {
      for (const token of [123, null, true, ['x'], { token: 'x' }]) {
        const answer = await refresh(server.url, token);
        assert.equal(answer.status, 400, `${JSON.stringify(token)}: ${answer.status}`);
        assert.equal(answer.body.error, 'invalid_request');
      }
    });

    it('refuses a body with unknown fields with 400 before spending the token', async () => {
      const pair = await loginPair(server.url, 'alice@example.com');
      const answer = await new Client(server.url).json('/jwt/refresh', {
        method: 'POST',
        json: { refresh_token: pair.refresh_token, grant_type: 'refresh_token' },
      });
      assert.equal(answer.status, 400);
      assert.equal(answer.body.error, 'invalid_request');
      assert.match(answer.body.error_description, /grant_type/);
      // Nothing was spent, so no reuse was detected either.
      assert.equal((await refresh(server.url, pair.refresh_token)).status, 200);
    });
  });

  describe('idle expiry (REFRESH_IDLE_TTL 1h)', () => {
    let server: TestServer;
    const clock = manualClock();
    before(async () => {
      server = await store.start({ clock, env: { REFRESH_IDLE_TTL: '1h', REFRESH_ABSOLUTE_TTL: '30d' } });
    });

    it('refuses a refresh token left unused for 1h + 1 ms with invalid_grant', async () => {
      const pair = await loginPair(server.url, 'alice@example.com');
      clock.advance(HOUR + 1);
      await assertRefreshDead(server.url, pair.refresh_token, 'an idle refresh token outlived REFRESH_IDLE_TTL');
    });

    it('keeps a family alive past 1h of total age while it is refreshed within the idle window', async () => {
      let pair = await loginPair(server.url, 'alice@example.com');
      for (let step = 1; step <= 3; step++) {
        clock.advance(50 * MINUTE);
        const rotated = await refresh(server.url, pair.refresh_token);
        assert.equal(rotated.status, 200, `refresh after ${step * 50} min: ${JSON.stringify(rotated.body)}`);
        pair = rotated.body;
      }
      // 2.5 h old now, and still usable.
      await assertAccessWorks(server.url, pair.access_token, 'alice@example.com');
      clock.advance(HOUR + 1);
      await assertRefreshDead(server.url, pair.refresh_token, 'idle for over 1h after the last refresh');
    });
  });

  describe('absolute expiry (REFRESH_ABSOLUTE_TTL 3h, idle 1h)', () => {
    let server: TestServer;
    const clock = manualClock();
    before(async () => {
      server = await store.start({ clock, env: { REFRESH_IDLE_TTL: '1h', REFRESH_ABSOLUTE_TTL: '3h' } });
    });

    it('refuses a refresh at 3h even though the family was used 30 minutes before', async () => {
      let pair = await loginPair(server.url, 'alice@example.com');
      for (let step = 1; step <= 3; step++) {
        clock.advance(50 * MINUTE);
        const rotated = await refresh(server.url, pair.refresh_token);
        assert.equal(rotated.status, 200, `refresh after ${step * 50} min`);
        pair = rotated.body;
      }
      // 150 min: last used just now. At 180 min the idle window (1h) is far from over.
      clock.advance(30 * MINUTE);
      await assertRefreshDead(server.url, pair.refresh_token, 'the family outlived REFRESH_ABSOLUTE_TTL');
    });
  });

  describe('browser variant (refresh token in a cookie)', () => {
    let server: TestServer;
    const cookieName = '__Secure-authlab.rt';
    const clock = manualClock();
    before(async () => {
      server = await store.start({ clock });
    });

    it('sets the refresh token as an HttpOnly, SameSite=Strict, Secure cookie on Path=/jwt and leaves it out of the body', async () => {
      const login = await jwtLogin(server.url, 'alice@example.com', { refresh_token_delivery: 'cookie' });
      assert.equal(login.status, 200);
      assert.equal(login.body.refresh_token, undefined);
      assert.equal(login.body.token_type, 'Bearer');
      assert.equal(login.headers.get('cache-control'), 'no-store');
      const cookie = setCookie(login.headers, cookieName);
      assert.match(cookie.value, REFRESH_TOKEN_SHAPE);
      assert.ok(cookie.attributes.includes('httponly'), cookie.attributes.join('; '));
      assert.ok(cookie.attributes.includes('samesite=strict'), cookie.attributes.join('; '));
      assert.ok(cookie.attributes.includes('path=/jwt'), cookie.attributes.join('; '));
      assert.ok(cookie.attributes.includes('secure'), cookie.attributes.join('; '));
    });

    it('rotates the cookie on POST /jwt/refresh with the cookie and no body', async () => {
      const browser = new Client(server.url);
      const login = await browser.json('/jwt/login', {
        method: 'POST',
        json: {
          email: 'alice@example.com',
          password: DEMO_PASSWORD,
          refresh_token_delivery: 'cookie',
        },
      });
      assert.equal(login.status, 200);
      const before = browser.cookies.get(cookieName);
      assert.ok(before);

      const rotated = await browser.json('/jwt/refresh', { method: 'POST' });
      assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
      assert.equal(rotated.body.refresh_token, undefined);
      const after = setCookie(rotated.headers, cookieName).value;
      assert.match(after, REFRESH_TOKEN_SHAPE);
      assert.notEqual(after, before);
      assert.equal(browser.cookies.get(cookieName), after);
      await assertAccessWorks(server.url, rotated.body.access_token, 'alice@example.com');
      // The old cookie value is spent like any rotated refresh token (past its grace window).
      clock.advance(30_000);
      await assertRefreshDead(server.url, before);
    });

    it('refuses a cross-origin POST /jwt/refresh carrying the cookie with 403 forbidden_origin', async () => {
      const browser = new Client(server.url);
      const login = await browser.json('/jwt/login', {
        method: 'POST',
        json: {
          email: 'alice@example.com',
          password: DEMO_PASSWORD,
          refresh_token_delivery: 'cookie',
        },
      });
      assert.equal(login.status, 200);
      const cookie = browser.cookies.get(cookieName);

      const forged = await browser.json('/jwt/refresh', { method: 'POST', headers: { origin: 'http://evil.example' } });
      assert.equal(forged.status, 403);
      assert.equal(forged.body.error, 'forbidden_origin');
      assert.equal(forged.body.access_token, undefined);
      assert.equal(forged.headers.getSetCookie().length, 0, 'a refused request sets no cookie');

      // The refusal spent nothing: the page's own origin still refreshes with the same cookie.
      assert.equal(browser.cookies.get(cookieName), cookie);
      const own = await browser.json('/jwt/refresh', { method: 'POST', headers: { origin: server.url } });
      assert.equal(own.status, 200);
    });
  });
});
