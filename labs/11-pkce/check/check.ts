import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { defineChecks, type LabTarget } from '@authlab/lab-kit';

const info = (lab: LabTarget) => lab.info as { clientId: string; redirectUri: string };

function newPkce() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** GET /authorize as alice's browser would, without following the redirect to the app. */
async function authorize(lab: LabTarget, pkce: Record<string, string>) {
  const url = new URL('/authorize', lab.url);
  const state = randomBytes(16).toString('base64url');
  const { clientId, redirectUri } = info(lab);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: redirectUri,
    state,
    ...pkce,
  }).toString();
  const response = await fetch(url, { redirect: 'manual' });
  const location = response.headers.get('location');
  return { response, state, back: location ? new URL(location) : null };
}

/** The Notes app's sign-in up to the code: PKCE S256, as a correct client does it. */
async function getCode(lab: LabTarget) {
  const { verifier, challenge } = newPkce();
  const { response, state, back } = await authorize(lab, { code_challenge: challenge, code_challenge_method: 'S256' });
  assert.ok(back, `GET /authorize should redirect back to the app, but answered ${response.status}`);
  assert.ok(back.href.startsWith(`${info(lab).redirectUri}?`), `the redirect should go to the app, not ${back.href}`);
  assert.ok(back.searchParams.get('state') === state, 'the redirect should carry the same state');
  const code = back.searchParams.get('code');
  assert.ok(code, `the redirect should carry a code: ${back.href}`);
  return { code, verifier };
}

async function redeem(lab: LabTarget, code: string, verifier: string) {
  const { clientId, redirectUri } = info(lab);
  const response = await fetch(`${lab.url}/token`, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      client_id: clientId,
      redirect_uri: redirectUri,
      code_verifier: verifier,
    }),
  });
  return { status: response.status, body: (await response.json()) as { access_token?: string; error?: string } };
}

async function assertInvalidGrant(lab: LabTarget, code: string, verifier: string, what: string) {
  const { status, body } = await redeem(lab, code, verifier);
  assert.ok(
    status === 400 && body.error === 'invalid_grant',
    `${what}: expected 400 invalid_grant, got ${status} ${body.error ?? ''}`,
  );
}

export default defineChecks([
  {
    name: 'the Notes app signs alice in with PKCE S256: its own code_verifier gets a token that works at /api/me',
    async run(lab) {
      const { code, verifier } = await getCode(lab);
      const { status, body } = await redeem(lab, code, verifier);
      assert.ok(
        status === 200 && body.access_token,
        `POST /token with the right verifier answered ${status} ${body.error ?? ''}`,
      );
      const me = await fetch(`${lab.url}/api/me`, { headers: { authorization: `Bearer ${body.access_token}` } });
      assert.deepEqual(await me.json(), { sub: 'alice' }, 'GET /api/me with the token should answer sub "alice"');
    },
  },
  {
    name: 'a code with the wrong code_verifier is refused with invalid_grant',
    async run(lab) {
      const { code } = await getCode(lab);
      await assertInvalidGrant(lab, code, newPkce().verifier, 'another code_verifier');
    },
  },
  {
    name: 'a code works once, and not after 60 seconds',
    async run(lab) {
      const first = await getCode(lab);
      const once = await redeem(lab, first.code, first.verifier);
      assert.ok(once.status === 200, `the first use should work, got ${once.status} ${once.body.error ?? ''}`);
      await assertInvalidGrant(lab, first.code, first.verifier, 'the same code a second time');
      const late = await getCode(lab);
      await lab.advanceClock(61_000);
      await assertInvalidGrant(lab, late.code, late.verifier, 'a code 61 s old');
    },
  },
  {
    name: 'an authorization request without a valid S256 code_challenge (none, plain, not 43 characters) is refused with invalid_request',
    partOfTheFix: true,
    async run(lab) {
      const { verifier } = newPkce();
      const requests: Record<string, Record<string, string>> = {
        'no code_challenge': {},
        'code_challenge_method=plain': { code_challenge: verifier, code_challenge_method: 'plain' },
        'a code_challenge without a method (plain by default)': { code_challenge: verifier },
        // An S256 challenge is a base64url SHA-256: exactly 43 characters (RFC 7636 §4.2).
        'an S256 code_challenge that is not 43 base64url characters': {
          code_challenge: 'abc',
          code_challenge_method: 'S256',
        },
      };
      for (const [what, pkce] of Object.entries(requests)) {
        const { response, back } = await authorize(lab, pkce);
        // The error goes back to the (valid, registered) redirect URI, as RFC 7636 §4.4.1 says; an
        // error page at the server (400) is accepted too.
        const error = back ? back.searchParams.get('error') : ((await response.json()) as { error?: string }).error;
        assert.ok(!back?.searchParams.has('code'), `${what}: the server issued a code anyway`);
        assert.ok(error === 'invalid_request', `${what}: expected error=invalid_request, got ${error}`);
      }
    },
  },
]);
