/**
 * The attacker copied alice's refresh token (malware on her laptop, a synced backup of her app's
 * storage, a token in a log). Alice notices nothing: her app refreshes as usual and carries on.
 * Later the attacker redeems its copy, the token alice's app has already used.
 */
import { blocked, defineAttack, type LabTarget, postJson, worked } from '@authlab/lab-kit';

/** A token response, or an error response. */
type TokenResponse = { access_token: string; refresh_token: string; error?: string };

const refresh = (lab: LabTarget, refresh_token: string) => postJson(lab, '/token/refresh', { refresh_token });

export default defineAttack({
  title: "redeem a copy of alice's refresh token after her app has already used it",
  why: 'a used refresh token stays valid, so a copy of it works as well as the original, and nobody notices two holders',
  async run(lab) {
    // Alice signs in on her laptop; this is the moment the attacker copies her refresh token.
    const login = await postJson(lab, '/login', { username: 'alice', password: 'correct-horse-battery-staple' });
    if (!login.ok) throw new Error(`alice could not sign in: ${login.status}`);
    const stolen = ((await login.json()) as TokenResponse).refresh_token;

    // Alice's app refreshes, as it does every few minutes.
    const alice = await refresh(lab, stolen);
    if (!alice.ok) throw new Error(`alice's own refresh failed: ${alice.status}`);

    // The attacker, later, with its copy.
    const attempt = await refresh(lab, stolen);
    const tokens = (await attempt.json()) as TokenResponse;
    if (!attempt.ok) return blocked(`the copied refresh token was refused: ${attempt.status} ${tokens.error}`);
    const me = await fetch(`${lab.url}/api/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    return me.ok
      ? worked(
          `the spent refresh token bought a fresh access token (GET /api/me → ${me.status} ${await me.text()}) and a refresh token of its own to keep going`,
        )
      : blocked(`the refresh worked, but GET /api/me answered ${me.status}`);
  },
});
