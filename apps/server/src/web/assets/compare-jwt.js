// The /compare dashboard's JWT panel. The access token lives in `token` below and nowhere else
// (not in storage, not in a cookie); the refresh token is an HttpOnly cookie on Path=/jwt that this
// script never sees. The same rules as the JWT playground (jwt.js), in fewer lines.
import { decodeJwt, errorText, request, signedOutState, singleFlight } from './compare-panel.js';

/** Every request of this panel, labelled as its own in the recording. */
const call = (method, path, options = {}) => request(method, path, { ...options, panel: 'jwt' });

/** Not a credential: a yes/no hint shared with the playground, so a visitor who never signed in costs no refresh. */
const HINT_KEY = 'authlab.jwt.maybe-signed-in';

export function jwtMode(panel) {
  const { state, log, view } = panel;
  let token = null;
  let timer = 0;

  const hint = (on) => {
    try {
      if (on) localStorage.setItem(HINT_KEY, '1');
      else localStorage.removeItem(HINT_KEY);
    } catch {}
  };

  function accept(answer) {
    const received = Date.now();
    token = answer.access_token;
    const { header, claims } = decodeJwt(token);
    const lifetime = Number(answer.expires_in) * 1000;
    Object.assign(state, {
      signedIn: true,
      who: state.who || `${claims.sub} (${claims.role})`,
      expiresWhat: 'Access token expires in',
      issuedAt: received,
      expiresAt: received + lifetime,
      claims: { header, claims },
      claimsSource: '— decoded in this page from the token in memory',
    });
    hint(true);
    clearTimeout(timer);
    // Silent refresh a little before expiry (a fifth of the lifetime at most).
    timer = setTimeout(() => refresh('silent, before expiry'), Math.max(0, lifetime - Math.min(30_000, lifetime / 5)));
  }

  function forget() {
    token = null;
    clearTimeout(timer);
    hint(false);
    Object.assign(state, signedOutState());
  }

  const refresh = singleFlight(async (reason) => {
    const result = await call('POST', '/jwt/refresh');
    log(`POST /jwt/refresh (cookie) → ${result.status || 'no answer'} (${reason})`);
    if (result.status === 200) {
      const wasSignedIn = token !== null;
      accept(result.body);
      if (wasSignedIn) {
        state.refreshCount += 1;
        state.lastRefresh = Date.now();
      }
    } else if (result.status !== 0 && result.status < 500) {
      if (token) view.showError(`${errorText(result)}. Sign in again.`);
      forget();
    }
    panel.render();
    return result.status === 200;
  });

  /** Who the token is for, by email: the API says (the token's claims name only the user id). */
  async function learnWho() {
    const result = await call('GET', '/api/me', { token });
    log(`GET /api/me with Bearer → ${result.status || 'no answer'} (who is this?)`);
    if (result.status === 200) state.who = `${result.body.email} (${result.body.role})`;
  }

  return {
    async restore() {
      let maybe = true;
      try {
        maybe = localStorage.getItem(HINT_KEY) !== null;
      } catch {}
      if (maybe && (await refresh('page load: memory is empty, the cookie brings a token'))) await learnWho();
    },
    async signIn({ email, password }) {
      const result = await call('POST', '/jwt/login', {
        json: { email, password, device_name: 'compare dashboard', refresh_token_delivery: 'cookie' },
      });
      log(
        `POST /jwt/login → ${result.status || 'no answer'}${result.status === 200 ? ': access token in memory, refresh token in an HttpOnly cookie' : ''}`,
      );
      if (result.status !== 200) return view.showError(errorText(result));
      accept(result.body);
      await learnWho();
    },
    async callApi() {
      let result = await call('GET', '/api/me', { token });
      log(`GET /api/me with Bearer → ${result.status || 'no answer'}`);
      if (result.status === 401 && (await refresh('after a 401'))) {
        result = await call('GET', '/api/me', { token });
        log(`GET /api/me with Bearer → ${result.status || 'no answer'} (retried once)`);
      }
      view.showResult(`GET /api/me → ${result.status} ${JSON.stringify(result.body)}`, result.status === 200);
    },
    async refresh() {
      await refresh('Refresh now');
    },
    async signOut() {
      const result = await call('POST', '/jwt/logout', { token });
      log(`POST /jwt/logout → ${result.status || 'no answer'}: this browser’s family revoked`);
      if (result.status === 204) forget();
      else view.showError(errorText(result));
    },
    async signOutEverywhere() {
      const result = await call('POST', '/jwt/logout-all', { token });
      log(`POST /jwt/logout-all → ${result.status || 'no answer'}: every family and issued token of the account`);
      if (result.status === 204) forget();
      else view.showError(errorText(result));
    },
  };
}
