// The /compare dashboard's OpenID Connect panel: a public client running in this page
// (`authlab-compare`: no secret, Authorization Code + PKCE S256, RFC 9700 §2.1.1). The person signs
// in at the provider's own pages; the code comes back in the address bar, is removed from it at
// once, and is redeemed with the verifier only this tab holds. Tokens stay in memory.
import { decodeJwt, errorText, request, signedOutState, singleFlight } from './compare-panel.js';

/** Every request of this panel, labelled as its own in the recording. */
const call = (method, path, options = {}) => request(method, path, { ...options, panel: 'oidc' });

/** The flow's values across the trip to the provider: this tab only, deleted when it comes back. */
const FLOW_KEY = 'authlab.compare.oidc-flow';
const SCOPE = 'openid email api offline_access';

const base64Url = (bytes) =>
  btoa(String.fromCharCode(...bytes))
    .replaceAll('+', '-')
    .replaceAll('/', '_')
    .replace(/=+$/, '');
const randomValue = () => base64Url(crypto.getRandomValues(new Uint8Array(32)));
/** RFC 7636 §4.2: BASE64URL(SHA-256(ASCII(code_verifier))). */
const s256 = async (verifier) =>
  base64Url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));

export function oidcMode(panel, { issuer, clientId, redirectUri }) {
  const { state, log, view } = panel;
  let tokens = null; // { access, refresh, idClaims }
  let timer = 0;
  let metadata = null;

  async function discover() {
    if (metadata) return metadata;
    const result = await call('GET', `${new URL(issuer).pathname}/.well-known/openid-configuration`);
    log(`GET /oidc/.well-known/openid-configuration → ${result.status || 'no answer'}`);
    if (result.status !== 200 || result.body?.issuer !== issuer) throw new Error('discovery failed');
    metadata = result.body;
    return metadata;
  }
  const pathOf = (url) => new URL(url).pathname;

  function accept(answer, idClaims) {
    const received = Date.now();
    const { claims } = decodeJwt(answer.access_token);
    const lifetime = Number(answer.expires_in) * 1000;
    tokens = { access: answer.access_token, refresh: answer.refresh_token ?? tokens?.refresh, idClaims };
    Object.assign(state, {
      signedIn: true,
      who: idClaims?.email ?? claims.sub,
      expiresWhat: 'Access token expires in',
      issuedAt: received,
      expiresAt: received + lifetime,
      claims: { id_token: idClaims, access_token: claims },
      claimsSource: '— the ID token as checked here (iss, aud, nonce, exp) and the access token',
    });
    clearTimeout(timer);
    timer = setTimeout(() => refresh('silent, before expiry'), Math.max(0, lifetime - Math.min(30_000, lifetime / 5)));
  }

  function forget() {
    tokens = null;
    clearTimeout(timer);
    Object.assign(state, signedOutState());
  }

  /** The authorization response, back in the address bar: checked, removed from it, redeemed. */
  async function complete(params) {
    let flow = null;
    try {
      flow = JSON.parse(sessionStorage.getItem(FLOW_KEY) ?? 'null');
      sessionStorage.removeItem(FLOW_KEY);
    } catch {}
    // The code leaves the address bar (history, screenshots, Referer) before anything else.
    history.replaceState(null, '', location.pathname);
    if (params.has('error')) return view.showError(`${params.get('error')} — ${params.get('error_description') ?? ''}`);
    // state: this tab started this flow (login CSRF); iss: this provider answered (RFC 9207, mix-up).
    if (!flow || params.get('state') !== flow.state)
      return view.showError('state_mismatch — this answer is not for a sign-in started here');
    if (params.get('iss') !== issuer) return view.showError('issuer_mismatch — the answer names another provider');
    const meta = await discover();
    const result = await call('POST', pathOf(meta.token_endpoint), {
      form: {
        grant_type: 'authorization_code',
        code: params.get('code'),
        redirect_uri: redirectUri,
        client_id: clientId,
        code_verifier: flow.verifier,
      },
    });
    log(`POST /oidc/token (code + code_verifier) → ${result.status || 'no answer'}`);
    if (result.status !== 200) return view.showError(errorText(result));
    // Straight from the token endpoint, so its signature may go unchecked (OIDC Core §3.1.3.7);
    // what it says must still be for this client and this request.
    const { claims } = decodeJwt(result.body.id_token);
    const audience = [claims.aud].flat();
    if (
      claims.iss !== issuer ||
      !audience.includes(clientId) ||
      claims.nonce !== flow.nonce ||
      claims.exp * 1000 < Date.now()
    ) {
      return view.showError('invalid_id_token — issuer, audience, nonce or expiry is wrong');
    }
    accept(result.body, claims);
    if (typeof claims.auth_time === 'number' && claims.auth_time < Math.floor(flow.startedAt / 1000)) {
      log('The provider asked no password: its own session from earlier was still alive (auth_time)');
      state.who = `${state.who} — no password asked: the provider still knew you`;
    }
  }

  const refresh = singleFlight(async (reason) => {
    if (!tokens?.refresh) return false;
    const meta = await discover();
    const result = await call('POST', pathOf(meta.token_endpoint), {
      form: { grant_type: 'refresh_token', refresh_token: tokens.refresh, client_id: clientId },
    });
    log(`POST /oidc/token (refresh_token) → ${result.status || 'no answer'} (${reason})`);
    if (result.status === 200) {
      accept(result.body, tokens.idClaims);
      state.refreshCount += 1;
      state.lastRefresh = Date.now();
    } else if (result.status !== 0 && result.status < 500) {
      view.showError(`${errorText(result)}. Sign in again.`);
      forget();
    }
    panel.render();
    return result.status === 200;
  });

  return {
    async restore() {
      const params = new URLSearchParams(location.search);
      if (params.has('code') || params.has('error')) await complete(params);
    },
    async signIn() {
      const meta = await discover();
      const flow = { verifier: randomValue(), state: randomValue(), nonce: randomValue(), startedAt: Date.now() };
      sessionStorage.setItem(FLOW_KEY, JSON.stringify(flow));
      const url = new URL(meta.authorization_endpoint);
      url.search = new URLSearchParams({
        client_id: clientId,
        redirect_uri: redirectUri,
        response_type: 'code',
        scope: SCOPE,
        // offline_access (a refresh token) needs consent asked for (OIDC Core §11).
        prompt: 'consent',
        code_challenge: await s256(flow.verifier),
        code_challenge_method: 'S256',
        state: flow.state,
        nonce: flow.nonce,
      }).toString();
      log('Off to the provider’s sign-in page (GET /oidc/auth with the PKCE challenge)');
      location.assign(url.href);
    },
    async callApi() {
      let result = await call('GET', '/api/me', { token: tokens?.access });
      log(`GET /api/me with Bearer → ${result.status || 'no answer'}`);
      if (result.status === 401 && (await refresh('after a 401'))) {
        result = await call('GET', '/api/me', { token: tokens?.access });
        log(`GET /api/me with Bearer → ${result.status || 'no answer'} (retried once)`);
      }
      view.showResult(`GET /api/me → ${result.status} ${JSON.stringify(result.body)}`, result.status === 200);
    },
    async refresh() {
      await refresh('Refresh now');
    },
    async signOut() {
      // RFC 7009: revoking the refresh token ends the grant's tokens; the provider's own session
      // stays (the next sign-in there may need no password, and says so).
      const meta = await discover();
      const result = await call('POST', pathOf(meta.revocation_endpoint), {
        form: { token: tokens?.refresh ?? '', token_type_hint: 'refresh_token', client_id: clientId },
      });
      log(`POST /oidc/token/revocation → ${result.status || 'no answer'}`);
      if (result.status === 200) forget();
      else view.showError(errorText(result));
    },
    async signOutEverywhere() {
      const result = await call('POST', '/api/logout-all', { token: tokens?.access });
      log(`POST /api/logout-all with Bearer → ${result.status || 'no answer'}: every grant, family and session`);
      if (result.status === 204) forget();
      else view.showError(errorText(result));
    },
  };
}
