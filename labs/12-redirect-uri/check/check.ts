import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { defineChecks, type LabTarget } from '@authlab/lab-kit';

/** GET /authorize as alice's browser would (PKCE S256), without following the redirect. */
async function authorize(lab: LabTarget, clientId: string, redirectUri: string) {
  const verifier = randomBytes(32).toString('base64url');
  const url = new URL('/authorize', lab.url);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: redirectUri,
    state: 'xyz',
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  }).toString();
  const response = await fetch(url, { redirect: 'manual' });
  return { response, verifier, location: response.headers.get('location') };
}

/** The whole sign-in of a correct client: code at its redirect URI, token, then /api/me. */
async function signIn(lab: LabTarget, clientId: string, redirectUri: string) {
  const { response, verifier, location } = await authorize(lab, clientId, redirectUri);
  assert.ok(location, `${clientId} at ${redirectUri}: GET /authorize answered ${response.status}, not a redirect`);
  assert.ok(location.startsWith(`${redirectUri}?`), `the redirect should go to ${redirectUri}, not ${location}`);
  const code = new URL(location).searchParams.get('code');
  assert.ok(code, `the redirect should carry a code: ${location}`);
  const token = await fetch(`${lab.url}/token`, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      client_id: clientId,
      redirect_uri: redirectUri,
      code_verifier: verifier,
    }),
  });
  const body = (await token.json()) as { access_token?: string; error?: string };
  assert.ok(token.status === 200, `POST /token answered ${token.status} ${body.error ?? ''}`);
  const me = await fetch(`${lab.url}/api/me`, { headers: { authorization: `Bearer ${body.access_token}` } });
  assert.deepEqual(await me.json(), { sub: 'alice' }, 'GET /api/me with the token should answer sub "alice"');
}

export default defineChecks([
  {
    name: 'the web app signs alice in at its registered redirect URI',
    async run(lab) {
      await signIn(lab, 'notes-web', lab.info.webRedirectUri as string);
    },
  },
  {
    name: 'the desktop app signs alice in through a loopback redirect on whatever port it picked (RFC 8252 §7.3)',
    async run(lab) {
      await signIn(lab, 'notes-desktop', 'http://127.0.0.1:51004/callback');
      await signIn(lab, 'notes-desktop', 'http://127.0.0.1:61023/callback');
      await signIn(lab, 'notes-desktop', 'http://[::1]:61023/callback');
    },
  },
  {
    name: "the desktop app's exception is the port only: another path, a query, https or localhost gets no code",
    partOfTheFix: true,
    async run(lab) {
      for (const uri of [
        'http://127.0.0.1:51004/elsewhere',
        'http://127.0.0.1:51004/callback/../elsewhere',
        'http://127.0.0.1:51004/callback?next=/elsewhere',
        'https://127.0.0.1:51004/callback',
        'http://localhost:51004/callback',
        // Shapes that pass a prefix or suffix test and lead elsewhere: the host here is
        // attacker.example ("127.0.0.1:51004" is a user name), or a subdomain of it.
        'http://127.0.0.1:51004@attacker.example/callback',
        'http://127.0.0.1.attacker.example:51004/callback',
      ]) {
        const { location } = await authorize(lab, 'notes-desktop', uri);
        const code = location && URL.canParse(location) ? new URL(location).searchParams.get('code') : null;
        assert.ok(!code, `redirect_uri ${uri} was given a code`);
      }
    },
  },
  {
    name: 'an unknown client or an unregistered redirect_uri gets an error at the server, never a redirect (RFC 6749 §4.1.2.1)',
    partOfTheFix: true,
    async run(lab) {
      const web = lab.info.webRedirectUri as string;
      const anotherPort = new URL(web);
      anotherPort.port = String(Number(anotherPort.port) === 65535 ? 65534 : Number(anotherPort.port) + 1);
      for (const [clientId, uri] of [
        ['notes-web', 'https://attacker.example/callback'],
        ['someone-else', 'https://attacker.example/callback'],
        // The web app's own origin is not enough: another path there (an open redirect, a
        // user's page) or a query the app did not register gets nothing (RFC 9700 §4.1.3).
        ['notes-web', `${web}/../elsewhere`],
        ['notes-web', `${web}?next=https://attacker.example/`],
        ['notes-web', `${new URL(web).origin}/`],
        // The any-port exception is the native app's alone (RFC 8252 §7.3): for the web app, a
        // loopback address on another port is another program on that machine.
        ['notes-web', anotherPort.href],
      ] as const) {
        const { response, location } = await authorize(lab, clientId, uri);
        const what = `client ${clientId}, redirect_uri ${uri}`;
        assert.ok(!location, `${what}: the browser was sent on to ${location}`);
        assert.ok(response.status === 400, `${what}: expected a 400 error, got ${response.status}`);
      }
    },
  },
]);
