/**
 * Signs in to an authlab server through your own browser (OpenID Connect, Authorization Code +
 * PKCE, loopback redirect) and calls `/api/me` with the access token. Nothing outlives the run:
 * the vault is in memory, and the refresh token is revoked at the end.
 *
 *   pnpm start                                           # the server, in another terminal
 *   node packages/native-client/examples/sign-in.ts      # or: … sign-in.ts http://localhost:4000
 *
 * Sign in as alice@example.com with the demo password and choose Allow; the JSON of `/api/me`
 * is printed here.
 */
import { parseArgs } from 'node:util';
import {
  defaultBrowserOpener,
  LoopbackAuthorizer,
  MemoryVault,
  NativeAuthError,
  OidcSource,
  TokenManager,
  withManualFallback,
} from '@authlab/native-client';

const USAGE = `usage: node packages/native-client/examples/sign-in.ts [SERVER]

Signs in to SERVER (default http://localhost:4000, the server's PUBLIC_URL) through your browser
and prints what GET /api/me answers. The browser is $BROWSER, else the system's; where none can be
started, the URL to open is printed instead.
`;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { help: { type: 'boolean', short: 'h' } },
});
if (values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}

const server = (positionals[0] ?? 'http://localhost:4000').replace(/\/$/, '');
// The provider's issuer is PUBLIC_URL/oidc: use the very origin the server was started with.
const issuer = `${server}/oidc`;
const clientId = 'authlab-desktop'; // the server's registered public native client

try {
  const authorizer = new LoopbackAuthorizer({
    issuer,
    clientId,
    timeoutMs: 3 * 60_000,
    openBrowser: withManualFallback(defaultBrowserOpener(), (url, reason) =>
      process.stderr.write(`could not open a browser (${reason.message}); open this URL to sign in:\n\n  ${url}\n\n`),
    ),
  });
  process.stderr.write('sign in in your browser… (Ctrl-C cancels)\n');
  const { tokens, claims } = await authorizer.authorize();
  process.stderr.write(`signed in as ${String(claims.email)}\n`);

  const manager = new TokenManager({
    source: new OidcSource({ issuer, clientId }),
    vault: new MemoryVault(), // a real app: chooseVault() (the OS key store)
    account: `oidc:${server}`,
  });
  await manager.signIn(tokens);
  // Bearer token attached; a 401 refreshes once and retries once.
  const response = await manager.fetch(`${server}/api/me`);
  process.stdout.write(`${JSON.stringify(await response.json(), null, 2)}\n`);
  const { revoked } = await manager.signOut();
  process.stderr.write(
    revoked ? 'signed out (refresh token revoked)\n' : 'signed out here only (server unreachable)\n',
  );
} catch (error) {
  if (!(error instanceof NativeAuthError)) throw error;
  const hint =
    error.code === 'discovery_failed'
      ? ` Is the authlab server running at ${server}? Start it with \`pnpm start\`, or pass its URL.`
      : '';
  process.stderr.write(`sign-in failed (${error.code}): ${error.message.replace(/\.$/, '')}.${hint}\n`);
  process.exitCode = 1;
}
