/**
 * The attacker has copied alice's access token (malware on her laptop, a proxy log, a shared
 * screen). A minute later alice notices and clicks "log out everywhere". The attacker keeps
 * calling the API with the stolen token and notes how long it keeps working.
 */
import { blocked, defineAttack, postJson, worked } from '@authlab/lab-kit';
import { minutesUntilRefused } from './measure.ts';

export default defineAttack({
  title: "keep using alice's stolen access token after she logs out everywhere",
  why:
    'the API trusts any well-signed, unexpired token; logout-all only deletes refresh tokens, and ' +
    'an access token already issued stays valid until its exp',
  async run(lab) {
    // What was stolen: the access token from alice's sign-in on her laptop.
    const login = await postJson(lab, '/login', { username: 'alice', password: 'alice-in-wonderland' });
    if (!login.ok) throw new Error(`alice could not sign in (${login.status})`);
    const { access_token: stolen, expires_in: ttlSec } = (await login.json()) as {
      access_token: string;
      expires_in: number;
    };

    // A minute later, alice logs out everywhere from her phone: "everywhere" must reach the
    // laptop's token too, not only the token that asks.
    await lab.advanceClock(60_000);
    const phone = await postJson(lab, '/login', { username: 'alice', password: 'alice-in-wonderland' });
    if (!phone.ok) throw new Error(`alice could not sign in on her phone (${phone.status})`);
    const { access_token: phoneToken } = (await phone.json()) as { access_token: string };
    const logout = await fetch(`${lab.url}/logout-all`, {
      method: 'POST',
      headers: { authorization: `Bearer ${phoneToken}` },
    });
    if (logout.status !== 204) throw new Error(`alice's POST /logout-all answered ${logout.status}, not 204`);

    // The attacker tries the stolen token now, then once a minute, up to its lifetime and one more.
    const cap = Math.ceil(ttlSec / 60) + 1;
    const minutes = await minutesUntilRefused(lab, stolen, cap);
    if (minutes === 0) return blocked('GET /api/me with the stolen token answered 401 right after logout-all');
    const used = 'GET /api/me with the stolen token still answered 200 right after alice logged out everywhere';
    if (minutes === null) return worked(`${used}, and still did ${cap} minutes later`);
    const later = minutes > 1 ? ` and ${minutes - 1} minutes later` : '';
    return worked(`${used}${later}; the first 401 came at minute ${minutes}, when the token expired on its own`);
  },
});
