// The JWT playground's only script (GET /jwt). No framework and no library: what it does is the lesson.
//
// The access token lives in memory (`session` below) and, because this page teaches what is inside it,
// in the page's text; never in localStorage, sessionStorage or a cookie, where it would outlive the tab.
// Memory is no shield against a script already running in the page (it can read the page or call
// refresh itself, as `pnpm lab compare` shows); the CSP (no inline script) is what keeps one out. A
// reload loses the token; the refresh token, in an HttpOnly cookie (Path=/jwt) this script can never
// see, gets a new one from POST /jwt/refresh. Server data reaches the page only through textContent.

/** Not a credential: a yes/no hint that a refresh cookie may exist, so a visitor who never signed in
 * costs no doomed POST /jwt/refresh (the same trick as auth0-spa-js's "is.authenticated" flag). */
const HINT_KEY = 'authlab.jwt.maybe-signed-in';
/** Refresh this long before expiry at most (and a fifth of the lifetime at most, for short tokens). */
const MAX_REFRESH_LEAD_MS = 30_000;
const LOG_LIMIT = 30;

const $ = (id) => document.getElementById(id);
const ui = {
  error: $('jwt-error'),
  notice: $('jwt-notice'),
  signin: $('jwt-signin'),
  form: $('jwt-login-form'),
  email: $('jwt-email'),
  password: $('jwt-password'),
  device: $('jwt-device'),
  signedIn: $('jwt-signed-in'),
  tokenHeading: $('jwt-token-heading'),
  timeLeft: $('jwt-time-left'),
  lifetime: $('jwt-lifetime'),
  nextRefresh: $('jwt-next-refresh'),
  response: $('jwt-response'),
  responseNote: $('jwt-response-note'),
  responseRequest: $('jwt-response-request'),
  responseStatus: $('jwt-response-status'),
  responseBody: $('jwt-response-body'),
  rotation: $('jwt-rotation'),
  devices: $('jwt-devices'),
  devicesBody: document.querySelector('#jwt-devices-table tbody'),
  log: $('jwt-log'),
  activity: $('jwt-activity'),
};

const clockTime = new Intl.DateTimeFormat(undefined, { timeStyle: 'medium' });
const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

/**
 * The one copy of the access token. `expiresAt` is on this browser's clock: `expires_in` counted from
 * when the answer arrived (RFC 6749 §5.1), so a browser whose clock is off still refreshes in time.
 */
let session = null; // { token, header, claims, issuedAt, expiresAt, refreshAt }
let refreshTimer = 0;
let ticker = 0;
/** Single flight: every caller that needs a new token while one is on its way shares this promise. */
let refreshing = null;

// ---------------------------------------------------------------------------------------------------
// Decoding (a JWT is base64url JSON plus a signature; reading it needs no key and no library)

function base64UrlDecode(text) {
  const base64 = text
    .replaceAll('-', '+')
    .replaceAll('_', '/')
    .padEnd(Math.ceil(text.length / 4) * 4, '=');
  const bytes = Uint8Array.from(atob(base64), (char) => char.charCodeAt(0));
  return new TextDecoder().decode(bytes);
}

function decodeJwt(token) {
  const [header, claims, signature] = token.split('.');
  if (!header || !claims || signature === undefined) throw new Error('not a JWT');
  return {
    header: JSON.parse(base64UrlDecode(header)),
    claims: JSON.parse(base64UrlDecode(claims)),
    parts: [header, claims, signature],
  };
}

// ---------------------------------------------------------------------------------------------------
// Small view helpers

const pretty = (value) => JSON.stringify(value, null, 2);

function formatLeft(ms) {
  const seconds = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = String(seconds % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

function epochTime(seconds) {
  const date = new Date(seconds * 1000);
  return Number.isNaN(date.getTime()) ? String(seconds) : `${dateTime.format(date)} (${seconds})`;
}

function log(text) {
  const item = document.createElement('li');
  const time = document.createElement('time');
  const now = new Date();
  time.dateTime = now.toISOString();
  time.textContent = clockTime.format(now);
  item.append(time, ' ', text);
  ui.log.prepend(item);
  ui.activity.hidden = false;
  while (ui.log.children.length > LOG_LIMIT) ui.log.lastElementChild.remove();
}

function showError(code, description) {
  ui.error.replaceChildren();
  const codeEl = document.createElement('code');
  codeEl.textContent = code;
  ui.error.append(codeEl, description ? ` — ${description}` : '');
}

const clearError = () => ui.error.replaceChildren();
const notify = (text) => {
  ui.notice.textContent = text;
};

function setBusy(button, busy) {
  button.disabled = busy;
  if (busy) button.setAttribute('aria-busy', 'true');
  else button.removeAttribute('aria-busy');
}

function remember(signedIn) {
  try {
    if (signedIn) localStorage.setItem(HINT_KEY, '1');
    else localStorage.removeItem(HINT_KEY);
  } catch {
    // storage disabled: the page still works, it just tries a refresh on every load
  }
}

function mayBeSignedIn() {
  try {
    return localStorage.getItem(HINT_KEY) !== null;
  } catch {
    return true;
  }
}

// ---------------------------------------------------------------------------------------------------
// HTTP

/** fetch + JSON, never throwing: a network failure becomes `{ status: 0, body: { error } }`. */
async function request(method, path, { token, json } = {}) {
  const headers = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  if (json !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: json === undefined ? undefined : JSON.stringify(json),
      cache: 'no-store',
    });
  } catch {
    return {
      status: 0,
      statusText: '',
      body: { error: 'network_error', error_description: 'the server could not be reached' },
    };
  }
  const text = await response.text();
  let body = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = { error: 'unexpected_response', error_description: text.slice(0, 200) };
  }
  return { status: response.status, statusText: response.statusText, body };
}

const errorOf = (result) => ({
  code: result.body?.error ?? `http_${result.status}`,
  description: result.body?.error_description ?? '',
});

function showErrorOf(result) {
  const { code, description } = errorOf(result);
  showError(code, description);
}

// ---------------------------------------------------------------------------------------------------
// The token in memory

function accept(tokenResponse) {
  const received = Date.now();
  const { header, claims, parts } = decodeJwt(tokenResponse.access_token);
  const lifetimeMs = Math.max(0, Number(tokenResponse.expires_in) * 1000);
  const lead = Math.min(MAX_REFRESH_LEAD_MS, lifetimeMs / 5);
  session = {
    token: tokenResponse.access_token,
    header,
    claims,
    parts,
    issuedAt: received,
    expiresAt: received + lifetimeMs,
    refreshAt: received + lifetimeMs - lead,
  };
  remember(true);
  scheduleRefresh();
  renderToken();
  return session;
}

function forget() {
  session = null;
  clearTimeout(refreshTimer);
  clearInterval(ticker);
  refreshTimer = 0;
  ticker = 0;
  remember(false);
}

function scheduleRefresh() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => refresh('scheduled, before expiry'), Math.max(0, session.refreshAt - Date.now()));
  clearInterval(ticker);
  ticker = setInterval(tick, 1000);
}

/**
 * Gets a new access token with the refresh cookie. Callers that arrive while one refresh is on its
 * way share it: two rotations racing would replay a refresh token, which revokes the whole family.
 * Resolves to true when a new token is in memory.
 */
function refresh(reason) {
  refreshing ??= runRefresh(reason).finally(() => {
    refreshing = null;
  });
  return refreshing;
}

async function runRefresh(reason) {
  // Other tabs share the cookie: hold a lock across tabs too, so each rotates the newest token.
  const post = () => request('POST', '/jwt/refresh');
  const result = navigator.locks ? await navigator.locks.request('authlab.jwt.refresh', post) : await post();
  log(`POST /jwt/refresh → ${result.status || 'no answer'} (${reason})`);
  if (result.status === 200) {
    accept(result.body);
    return true;
  }
  if (result.status === 0 || result.status >= 500) {
    // Not a verdict on the cookie: keep what we have and try again shortly.
    const { code, description } = errorOf(result);
    showError(code, `${description} — trying again in 10 seconds`);
    if (session) {
      clearTimeout(refreshTimer);
      refreshTimer = setTimeout(() => refresh('retry'), 10_000);
    }
    return false;
  }
  // 400/401: the cookie is gone, expired, revoked or was replayed. Only a new sign-in helps now.
  const { code, description } = errorOf(result);
  const hadToken = session !== null;
  forget();
  showSignIn();
  if (hadToken) log(`Signed out by the server: ${code}. The refresh token was refused (revoked, replayed or expired)`);
  if (hadToken || reason !== 'page load') showError(code, `${description}. Sign in again.`);
  else notify('Your earlier sign-in has ended. Sign in again.');
  return false;
}

/**
 * Calls the API with the token; on a 401 gets a new token once and tries once more (the token may
 * have expired, or been rotated away by a refresh in flight).
 */
async function callWithToken(method, path) {
  if (!session) return { status: 401, body: { error: 'unauthenticated' }, retried: false };
  const sent = session.token;
  let result = await request(method, path, { token: sent });
  log(`${method} ${path} → ${result.status || 'no answer'}`);
  if (result.status !== 401) return { ...result, retried: false };
  // Another caller may have refreshed already while this request was out: reuse its token.
  const renewed = session && session.token !== sent ? true : await refresh(`after a 401 from ${path}`);
  if (!renewed || !session) return { ...result, retried: false };
  result = await request(method, path, { token: session.token });
  log(`${method} ${path} → ${result.status || 'no answer'} (retried once)`);
  return { ...result, retried: true };
}

// ---------------------------------------------------------------------------------------------------
// Rendering

function renderToken() {
  const { header, claims, parts } = session;
  $('jwt-header').textContent = pretty(header);
  $('jwt-claims').textContent = pretty(claims);
  $('jwt-sub').textContent = claims.sub ?? '';
  $('jwt-role').textContent = claims.role ?? '';
  $('jwt-iat').textContent = epochTime(claims.iat);
  $('jwt-exp').textContent = epochTime(claims.exp);
  $('jwt-jti').textContent = claims.jti ?? '';
  $('jwt-kid').textContent = header.kid ?? '';
  const [h, c, s] = $('jwt-encoded').children;
  h.textContent = parts[0];
  c.textContent = parts[1];
  s.textContent = parts[2];
  tick();
}

function tick() {
  if (!session) return;
  const now = Date.now();
  const left = session.expiresAt - now;
  const lifetime = session.expiresAt - session.issuedAt;
  ui.timeLeft.textContent = left > 0 ? formatLeft(left) : 'expired';
  ui.lifetime.value = lifetime > 0 ? Math.max(0, left / lifetime) : 0;
  ui.timeLeft.classList.toggle('low', left <= session.expiresAt - session.refreshAt);
  const untilRefresh = session.refreshAt - now;
  ui.nextRefresh.textContent =
    untilRefresh > 0
      ? `Silent refresh in ${formatLeft(untilRefresh)}, ${formatLeft(session.expiresAt - session.refreshAt)} before expiry.`
      : 'Refreshing…';
}

/** Back to the form. The last response and the log stay: they say why this happened. */
function showSignIn() {
  ui.signedIn.hidden = true;
  ui.signin.hidden = false;
  ui.devices.hidden = true;
  ui.devicesBody.replaceChildren();
}

function showSignedIn() {
  ui.signin.hidden = true;
  ui.signedIn.hidden = false;
}

function showResponse(method, path, result, note) {
  ui.activity.hidden = false;
  ui.response.hidden = false;
  ui.rotation.hidden = true;
  ui.responseRequest.textContent = `${method} ${path}`;
  ui.responseStatus.textContent = result.status ? `${result.status} ${result.statusText}` : 'no answer';
  ui.responseNote.textContent = note ?? '';
  ui.responseStatus.classList.toggle('bad', !(result.status >= 200 && result.status < 300));
  ui.responseBody.textContent = result.body === null ? '(no body)' : pretty(result.body);
}

function renderDevices(devices) {
  const rows = devices
    .toSorted((a, b) => Number(b.current) - Number(a.current) || b.lastSeenAt.localeCompare(a.lastSeenAt))
    .map((device) => {
      const row = document.createElement('tr');
      row.dataset.deviceId = device.id;
      if (device.current) row.className = 'current';
      const name = document.createElement('td');
      const label = document.createElement('span');
      label.className = 'device';
      label.textContent = device.name;
      label.title = device.userAgent ?? '';
      name.append(label);
      if (device.current) {
        const tag = document.createElement('strong');
        tag.className = 'tag';
        tag.textContent = 'this browser';
        name.append(' ', tag);
      }
      const narrow = document.createElement('span');
      narrow.className = 'narrow-only';
      narrow.textContent = `${device.ip}, signed in ${dateTime.format(new Date(device.createdAt))}`;
      name.append(narrow);
      const cell = (text, className) => {
        const td = document.createElement('td');
        td.textContent = text;
        if (className) td.className = className;
        return td;
      };
      row.append(
        name,
        cell(device.ip, 'wide-only'),
        cell(dateTime.format(new Date(device.createdAt)), 'wide-only'),
        cell(dateTime.format(new Date(device.lastSeenAt))),
      );
      return row;
    });
  ui.devicesBody.replaceChildren(...rows);
  ui.devices.hidden = false;
}

// ---------------------------------------------------------------------------------------------------
// Actions

async function signIn(event) {
  event.preventDefault();
  if (!ui.form.reportValidity()) return;
  const button = $('jwt-sign-in');
  setBusy(button, true);
  clearError();
  notify('');
  const deviceName = ui.device.value.trim();
  const result = await request('POST', '/jwt/login', {
    json: {
      email: ui.email.value.trim(),
      password: ui.password.value,
      ...(deviceName ? { device_name: deviceName } : {}),
      refresh_token_delivery: 'cookie',
    },
  });
  setBusy(button, false);
  for (const input of [ui.email, ui.password]) input.removeAttribute('aria-invalid');
  if (result.status !== 200) {
    const { code, description } = errorOf(result);
    showError(code, description);
    if (code === 'invalid_credentials') {
      for (const input of [ui.email, ui.password]) input.setAttribute('aria-invalid', 'true');
    }
    ui.password.focus();
    return;
  }
  ui.password.value = '';
  ui.response.hidden = true;
  log('POST /jwt/login → 200: access token in memory, refresh token in an HttpOnly cookie');
  accept(result.body);
  showSignedIn();
  ui.tokenHeading.focus();
}

async function callMe() {
  const result = await callWithToken('GET', '/api/me');
  const note = result.retried
    ? 'after one silent refresh'
    : session
      ? ''
      : 'refused, and the refresh that followed too';
  showResponse('GET', '/api/me', result, note);
  // Signed out on the way: the refresh's refusal is already the message shown.
  if (result.status !== 200 && session) showErrorOf(result);
}

async function refreshNow() {
  const before = session.claims.jti;
  const renewed = await refresh('“Refresh now”');
  if (!renewed || !session) return;
  ui.response.hidden = false;
  ui.responseRequest.textContent = 'POST /jwt/refresh';
  ui.responseStatus.textContent = '200 OK';
  ui.responseNote.textContent = 'a new access token; the refresh cookie rotated too';
  ui.responseStatus.classList.remove('bad');
  ui.rotation.hidden = false;
  ui.rotation.replaceChildren();
  const oldJti = document.createElement('code');
  oldJti.textContent = before;
  const newJti = document.createElement('code');
  newJti.textContent = session.claims.jti;
  ui.rotation.append('jti changed: ', oldJti, ' → ', newJti);
  ui.responseBody.textContent = pretty({
    token_type: 'Bearer',
    access_token: `${session.token.slice(0, 24)}…`,
    expires_in: Math.round((session.expiresAt - session.issuedAt) / 1000),
  });
}

async function listDevices() {
  const result = await callWithToken('GET', '/jwt/devices');
  if (!session) return;
  if (result.status !== 200) {
    showResponse('GET', '/jwt/devices', result);
    showErrorOf(result);
    return;
  }
  renderDevices(result.body.devices);
  $('jwt-devices-heading').focus();
}

async function signOut() {
  // The cookie alone identifies this device's family; the Bearer token is a fallback for the server.
  const result = await request('POST', '/jwt/logout', { token: session?.token });
  log(`POST /jwt/logout → ${result.status || 'no answer'}`);
  if (result.status !== 204) {
    showErrorOf(result);
    return;
  }
  forget();
  showSignIn();
  notify('Signed out: the refresh cookie is deleted and this browser’s tokens are revoked.');
  $('jwt-signin-heading').focus();
}

async function signOutEverywhere() {
  const result = await callWithToken('POST', '/jwt/logout-all');
  if (!session && result.status !== 204) return;
  if (result.status !== 204) {
    showErrorOf(result);
    return;
  }
  forget();
  showSignIn();
  notify('Signed out everywhere: every device of this account has to sign in again.');
  $('jwt-signin-heading').focus();
}

const ACTIONS = {
  'jwt-call-me': callMe,
  'jwt-refresh': refreshNow,
  'jwt-devices-button': listDevices,
  'jwt-sign-out': signOut,
  'jwt-sign-out-everywhere': signOutEverywhere,
};

document.addEventListener('click', async (event) => {
  const button = event.target.closest('button[id]');
  const action = button && ACTIONS[button.id];
  if (!action || !session) return;
  clearError();
  notify('');
  setBusy(button, true);
  try {
    await action(button);
  } finally {
    setBusy(button, false);
  }
});

ui.form.addEventListener('submit', signIn);

// Timers sleep in background tabs; on coming back, catch up before the token is used.
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible' && session && Date.now() >= session.refreshAt) {
    refresh('tab visible again, token due');
  }
});

// ---------------------------------------------------------------------------------------------------
// Start: memory is empty after every load; the refresh cookie, if any, restores the token.

async function start() {
  if (!mayBeSignedIn()) {
    showSignIn();
    return;
  }
  notify('Restoring your sign-in from the refresh cookie…');
  const restored = await refresh('page load');
  if (!restored) return;
  notify('');
  log('Restored after the page load: the old token died with the page, the cookie brought a new one');
  showSignedIn();
}

start();
