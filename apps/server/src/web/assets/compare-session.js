// The /compare dashboard's server-session panel. The credential is an HttpOnly cookie this script
// never sees; what the panel shows is what the server holds (GET /session/me).
import { errorText, request, signedOutState } from './compare-panel.js';

/** Every request of this panel, labelled as its own in the recording. */
const call = (method, path, options = {}) => request(method, path, { ...options, panel: 'session' });

export function sessionMode(panel) {
  const { state, log, render, view } = panel;

  /** Reads the server's record; `expiresAt` comes on the server's clock, so count from its Date header. */
  async function readRecord(reason) {
    const result = await call('GET', '/session/me');
    log(`GET /session/me → ${result.status || 'no answer'}${reason ? ` (${reason})` : ''}`);
    if (result.status !== 200) return result;
    const { user, session } = result.body;
    const now = Date.now();
    Object.assign(state, {
      signedIn: true,
      who: `${user.email} (${user.role})`,
      expiresWhat: 'Session ends in',
      issuedAt: now - (result.date - Date.parse(session.createdAt)),
      expiresAt: now + (Date.parse(session.expiresAt) - result.date),
      claims: { user, session },
      claimsSource: '— the server’s record; the cookie holds only an opaque id',
    });
    return result;
  }

  const signedOut = () => Object.assign(state, signedOutState());

  return {
    async restore() {
      if (document.getElementById('compare').dataset.sessionActive !== 'true') return;
      const result = await readRecord('page load');
      if (result.status !== 200) signedOut();
    },
    async signIn({ email, password }) {
      const result = await call('POST', '/session/login', { json: { email, password } });
      log(
        `POST /session/login → ${result.status || 'no answer'}${result.status === 200 ? ': Set-Cookie, HttpOnly' : ''}`,
      );
      if (result.status !== 200) return view.showError(errorText(result));
      await readRecord();
    },
    async callApi() {
      const result = await call('GET', '/api/me');
      log(`GET /api/me with the cookie → ${result.status || 'no answer'}`);
      view.showResult(`GET /api/me → ${result.status} ${JSON.stringify(result.body)}`, result.status === 200);
      if (result.status === 401) signedOut();
    },
    async refresh() {
      // A session has no token to renew: any request slides its idle timeout (at most once a touch interval).
      const result = await readRecord('Refresh now: the idle timeout slides');
      if (result.status === 200) {
        state.refreshCount += 1;
        state.lastRefresh = Date.now();
      } else {
        signedOut();
        view.showError(errorText(result));
      }
    },
    async signOut() {
      const result = await call('POST', '/session/logout');
      log(`POST /session/logout → ${result.status || 'no answer'}: the server deletes the record`);
      if (result.status === 204) signedOut();
      else view.showError(errorText(result));
    },
    async signOutEverywhere() {
      const result = await call('POST', '/session/logout-all');
      log(`POST /session/logout-all → ${result.status || 'no answer'}: every session, family and grant of the account`);
      if (result.status === 204) signedOut();
      else view.showError(errorText(result));
    },
    render,
  };
}
