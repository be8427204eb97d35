/**
 * Signs in once per target, the way a client of that mode does, and returns the headers every
 * benchmarked request then carries. The OIDC flow is driven without a browser by the same helper
 * the OIDC test suites use.
 */
import { authorize, tokenRequest } from '../../apps/server/test/support/oidc.ts';
import { Client, DEMO_PASSWORD } from '../../apps/server/test/support/server.ts';

export type Credential = 'none' | 'session' | 'jwt' | 'oidc' | 'express-session' | 'express-jwt';

const ALICE = { email: 'alice@example.com', password: DEMO_PASSWORD };

async function expectOk(response: { status: number; body: unknown }, what: string): Promise<void> {
  if (response.status !== 200) throw new Error(`${what}: ${response.status} ${JSON.stringify(response.body)}`);
}

const bearer = (token: unknown) => ({ authorization: `Bearer ${String(token)}` });

export async function credentialHeaders(kind: Credential, base: string): Promise<Record<string, string>> {
  const client = new Client(base);
  switch (kind) {
    case 'none':
      return {};
    case 'session': {
      await expectOk(await client.login(ALICE.email, ALICE.password), 'POST /session/login');
      return { cookie: client.cookieHeader() };
    }
    case 'express-session': {
      await expectOk(await client.json('/login', { method: 'POST', json: {} }), 'POST /login');
      return { cookie: client.cookieHeader() };
    }
    case 'jwt': {
      const login = await client.json('/jwt/login', { method: 'POST', json: ALICE });
      await expectOk(login, 'POST /jwt/login');
      return bearer(login.body.access_token);
    }
    case 'express-jwt': {
      const login = await client.json('/login', { method: 'POST', json: {} });
      await expectOk(login, 'POST /login');
      return bearer(login.body.access_token);
    }
    case 'oidc': {
      const result = await authorize(client);
      const code = result.params?.get('code');
      if (!code) throw new Error(`OIDC authorization failed: ${result.status} ${result.body}`);
      const tokens = await tokenRequest(new Client(base), {
        grant_type: 'authorization_code',
        code,
        redirect_uri: result.redirectUri,
        code_verifier: result.verifier,
      });
      await expectOk(tokens, 'POST /oidc/token');
      return bearer(tokens.body.access_token);
    }
  }
}

/** One request with the credential, checked, before any load: a bench of 401s measures nothing. */
export async function assertAuthenticated(url: string, headers: Record<string, string>): Promise<void> {
  const response = await fetch(url, { headers });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`GET ${url} answered ${response.status}: ${text.slice(0, 200)}`);
}
