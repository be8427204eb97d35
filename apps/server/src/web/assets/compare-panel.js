// The /compare dashboard's shared parts: HTTP without throwing, one panel's view, the timeline.
// Server data reaches the page only through textContent.

/** fetch + JSON, never throwing: a network failure becomes `{ status: 0, body: { error } }`. */
export async function request(method, path, { token, json, form, panel } = {}) {
  const headers = {};
  // Labels the message in this page's recording (the server decides nothing on it).
  if (panel) headers['X-Authlab-Panel'] = panel;
  if (token) headers.Authorization = `Bearer ${token}`;
  let body;
  if (json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(json);
  } else if (form !== undefined) {
    body = new URLSearchParams(form);
  }
  let response;
  try {
    response = await fetch(path, { method, headers, body, cache: 'no-store' });
  } catch {
    return {
      status: 0,
      date: Date.now(),
      body: { error: 'network_error', error_description: 'the server could not be reached' },
    };
  }
  const text = await response.text();
  let parsed = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = { error: 'unexpected_response' };
  }
  const date = Date.parse(response.headers.get('Date') ?? '') || Date.now();
  return { status: response.status, date, body: parsed };
}

export const errorText = (result) =>
  `${result.body?.error ?? `http_${result.status}`}${result.body?.error_description ? ` — ${result.body.error_description}` : ''}`;

/** A JWT's header and claims (base64url JSON: reading needs no key). */
export function decodeJwt(token) {
  const [header, claims] = token.split('.');
  const part = (text) => {
    const base64 = text
      .replaceAll('-', '+')
      .replaceAll('_', '/')
      .padEnd(Math.ceil(text.length / 4) * 4, '=');
    return JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(base64), (c) => c.charCodeAt(0))));
  };
  return { header: part(header), claims: part(claims) };
}

/**
 * Single flight: callers that arrive while `run` is on its way share its promise (two refreshes
 * racing would replay a rotated refresh token, which revokes the whole family).
 */
export function singleFlight(run) {
  let pending = null;
  return (...args) => {
    pending ??= run(...args).finally(() => {
      pending = null;
    });
    return pending;
  };
}

const clockTime = new Intl.DateTimeFormat(undefined, { timeStyle: 'medium' });

export function formatLeft(ms) {
  const seconds = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = String(seconds % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/** The shared timeline: newest first, a bounded number of lines. */
export class Timeline {
  constructor(list, limit = 80) {
    this.list = list;
    this.limit = limit;
  }
  add(mode, text) {
    const item = document.createElement('li');
    item.dataset.mode = mode;
    const time = document.createElement('time');
    const now = new Date();
    time.dateTime = now.toISOString();
    time.textContent = clockTime.format(now);
    const tag = document.createElement('span');
    tag.className = 'mode-tag';
    tag.textContent = mode;
    item.append(time, ' ', tag, ' ', text);
    this.list.prepend(item);
    while (this.list.children.length > this.limit) this.list.lastElementChild.remove();
  }
}

/**
 * What a panel shows. A mode keeps it in `state` and calls `render()`; the view draws it.
 * `expiresAt`/`issuedAt` are on this browser's clock.
 */
export const signedOutState = () => ({
  signedIn: false,
  who: '',
  expiresWhat: 'Time left',
  issuedAt: 0,
  expiresAt: 0,
  claims: null,
  claimsSource: '',
  refreshCount: 0,
  lastRefresh: 0,
});

export class PanelView {
  constructor(root) {
    this.root = root;
    this.mode = root.dataset.mode;
  }
  field(name) {
    return this.root.querySelector(`[data-field="${name}"]`);
  }
  part(role) {
    return this.root.querySelector(`[data-role="${role}"]`);
  }
  showError(text) {
    this.field('error').textContent = text;
  }
  showResult(text, ok) {
    const out = this.field('api-result');
    out.textContent = text;
    out.classList.toggle('bad', !ok);
  }
  draw(state) {
    this.root.dataset.signedIn = String(state.signedIn);
    this.field('status').textContent = state.signedIn ? 'signed in' : 'signed out';
    this.field('who').textContent = state.signedIn ? `Signed in as ${state.who}.` : 'Not signed in.';
    this.part('sign-in').hidden = state.signedIn;
    this.part('signed-in').hidden = !state.signedIn;
    this.field('expires-what').textContent = state.expiresWhat;
    this.field('refresh-count').textContent = String(state.refreshCount);
    this.field('last-refresh').textContent = state.lastRefresh
      ? clockTime.format(new Date(state.lastRefresh))
      : 'never';
    const claims = this.part('claims');
    claims.hidden = !state.claims;
    this.field('claims').textContent = state.claims ? JSON.stringify(state.claims, null, 2) : '';
    this.field('claims-source').textContent = state.claimsSource;
    this.tick(state);
  }
  tick(state) {
    if (!state.signedIn) return;
    const left = state.expiresAt - Date.now();
    const lifetime = state.expiresAt - state.issuedAt;
    const time = this.field('time-left');
    time.textContent = left > 0 ? formatLeft(left) : 'expired';
    time.classList.toggle('low', left < Math.min(30_000, lifetime / 5));
    this.field('time-bar').value = lifetime > 0 ? Math.max(0, left / lifetime) : 0;
  }
}
