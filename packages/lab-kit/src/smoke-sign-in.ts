/**
 * The end of `pnpm lab doctor --workshop`: one sign-in in each mode with the demo account, against
 * the real server started as `pnpm start` starts it (a child process on a free port, with a
 * throwaway data folder that is removed afterwards). Passing proves more than the parts one by
 * one: the native modules (argon2, SQLite) load, keys are generated, and oidc-provider answers.
 * The OIDC sign-in is made by openid-client, the library the desktop app and the CLI use.
 */

import { DEMO_PASSWORD, removeDir, startServerProcess, temporaryDir } from '@authlab/testkit';
import * as oidc from 'openid-client';
import { type Answer, consentAtProvider, HttpClient, LOOPBACK_REDIRECT, OIDC_NATIVE_CLIENT } from './compare/http.ts';
import type { DoctorItem } from './doctor.ts';

const DEMO = { email: 'alice@example.com', password: DEMO_PASSWORD };

type Mode = 'session' | 'jwt' | 'oidc';
export const SMOKE_MODES: Mode[] = ['session', 'jwt', 'oidc'];

function expectStatus(answer: Answer, status: number, what: string): void {
  if (answer.status === status) return;
  const error = answer.body?.error ? ` ${String(answer.body.error)}` : '';
  throw new Error(`${what} answered ${answer.status}${error}`);
}

/** GET /api/me with the credential the client holds: 200, alice, in this mode. */
async function expectMe(client: HttpClient, mode: Mode, bearer?: string): Promise<void> {
  const me = await client.request('/api/me', bearer ? { headers: { authorization: `Bearer ${bearer}` } } : {});
  expectStatus(me, 200, 'GET /api/me');
  if (me.body?.email !== DEMO.email || me.body?.mode !== mode) {
    throw new Error(`GET /api/me answered ${me.text.slice(0, 120)}, not ${DEMO.email} in mode ${mode}`);
  }
}

async function sessionSignIn(base: string): Promise<string> {
  const client = new HttpClient(base);
  expectStatus(await client.request('/session/login', { method: 'POST', json: DEMO }), 200, 'POST /session/login');
  await expectMe(client, 'session');
  return 'POST /session/login, then GET /api/me with the session cookie';
}

async function jwtSignIn(base: string): Promise<string> {
  const client = new HttpClient(base);
  const login = await client.request('/jwt/login', { method: 'POST', json: { ...DEMO, device_name: 'doctor' } });
  expectStatus(login, 200, 'POST /jwt/login');
  await expectMe(client, 'jwt', String(login.body?.access_token));
  const refresh = await client.request('/jwt/refresh', {
    method: 'POST',
    json: { refresh_token: login.body?.refresh_token },
  });
  expectStatus(refresh, 200, 'POST /jwt/refresh');
  if (refresh.body?.refresh_token === login.body?.refresh_token) throw new Error('the refresh token was not rotated');
  await expectMe(client, 'jwt', String(refresh.body?.access_token));
  return 'POST /jwt/login, GET /api/me, POST /jwt/refresh (rotated), GET /api/me with the new token';
}

async function oidcSignIn(base: string): Promise<string> {
  // http: only because the server is this laptop's own loopback origin.
  const config = await oidc.discovery(new URL('/oidc', base), OIDC_NATIVE_CLIENT, undefined, oidc.None(), {
    execute: [oidc.allowInsecureRequests],
  });
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const authorization = oidc.buildAuthorizationUrl(config, {
    redirect_uri: LOOPBACK_REDIRECT,
    scope: 'openid email offline_access api',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    prompt: 'consent',
  });
  const callback = await consentAtProvider(base, authorization, LOOPBACK_REDIRECT, DEMO);
  const tokens = await oidc.authorizationCodeGrant(config, callback, {
    pkceCodeVerifier: verifier,
    expectedState: state,
  });
  await expectMe(new HttpClient(base), 'oidc', tokens.access_token);
  return 'authorization code + PKCE (openid-client, authlab-desktop), then GET /api/me with the access token';
}

const SIGN_IN: Record<Mode, (base: string) => Promise<string>> = {
  session: sessionSignIn,
  jwt: jwtSignIn,
  oidc: oidcSignIn,
};

/** Where a person goes next when a mode fails: the same sign-in by hand, with the server's log. */
const NEXT_STEP: Record<Mode, string> = {
  session:
    'run `pnpm start`, sign in at http://localhost:4000/login as alice@example.com, and read what the server prints',
  jwt: 'run `pnpm start`, sign in at http://localhost:4000/jwt as alice@example.com, and read what the server prints',
  oidc: 'run `pnpm start` and `pnpm authlab login` (or open http://localhost:4000/oidc-flow), and read what the server prints',
};

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** The first line of a start-up failure and the server's last line, which usually names the cause. */
function startFailure(error: unknown): string {
  const lines = message(error)
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  const last = lines.length > 1 ? `: ${lines.at(-1)?.slice(0, 200)}` : '';
  return `${lines[0] ?? 'no message'}${last}`;
}

/** One item per mode: ✓ with what was done, or ✗ with what failed and the next step. */
export async function smokeSignIns(
  options: { env?: Record<string, string> /** a fresh folder, removed afterwards */; dataDir?: string } = {},
): Promise<DoctorItem[]> {
  const name = (mode: Mode) => `Sign-in: ${mode}`;
  const dataDir = options.dataDir ?? temporaryDir('authlab-doctor-');
  let server: Awaited<ReturnType<typeof startServerProcess>>;
  try {
    server = await startServerProcess({ env: options.env ?? {}, dataDir });
  } catch (error) {
    removeDir(dataDir);
    const detail = `the server did not start: ${startFailure(error)}`;
    const fix = 'run `pnpm start` to see the whole message (after a Node upgrade: pnpm install --force)';
    return SMOKE_MODES.map((mode) => ({ name: name(mode), ok: false, detail, fix }));
  }
  try {
    const items: DoctorItem[] = [];
    for (const mode of SMOKE_MODES) {
      try {
        items.push({ name: name(mode), ok: true, detail: await SIGN_IN[mode](server.url) });
      } catch (error) {
        items.push({ name: name(mode), ok: false, detail: message(error), fix: NEXT_STEP[mode] });
      }
    }
    return items;
  } finally {
    await server.stop();
    removeDir(dataDir);
  }
}
