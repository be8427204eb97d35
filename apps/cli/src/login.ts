import { hostname } from 'node:os';
import {
  commandBrowserOpener,
  defaultBrowserOpener,
  JwtSource,
  LoopbackAuthorizer,
  type Vault,
  withManualFallback,
} from '@authlab/native-client';
import { CliExit, EXIT } from './exit-codes.ts';
import { identify } from './identity.ts';
import { managerFor } from './manager.ts';
import { ask } from './prompt.ts';
import { writeSettings } from './settings.ts';
import { loginSettings, targetOf } from './target.ts';

/** `login`'s options, as parsed from the command line. */
export interface LoginOptions {
  mode?: string | undefined;
  browser?: string | undefined;
  'no-browser'?: boolean | undefined;
  device?: string | undefined;
  issuer?: string | undefined;
  'client-id'?: string | undefined;
  scope?: string | undefined;
  api?: string | undefined;
  port?: string | undefined;
}

/** `--port`: a fixed port for the loopback listener (RFC 8252 §7.3 prefers any free one, the default). */
function listenPort(raw: string): number {
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port < 1 || port > 65_535) {
    throw new CliExit(EXIT.usage, `--port takes a port number from 1 to 65535 (got "${raw}")`);
  }
  return port;
}

/** A question of the password sign-in: no answer (Ctrl-C, stdin at its end) stops the sign-in, exit 5. */
async function askForSignIn(question: string, options?: { hidden?: boolean }): Promise<string> {
  try {
    return await ask(question, options);
  } catch (error) {
    throw new CliExit(EXIT.refused, `sign-in stopped: ${(error as Error).message}`);
  }
}

/**
 * `login`: signs in (the browser for OIDC, email and password for JWT), stores the refresh token
 * and the settings, then says who signed in. Once the token is stored nothing fails any more.
 */
export async function login(values: LoginOptions, server: string, home: string, vault: Vault): Promise<void> {
  const mode = values.mode ?? 'oidc';
  if (mode !== 'oidc' && mode !== 'jwt') throw new CliExit(EXIT.usage, `--mode takes oidc or jwt (got "${mode}")`);
  const { issuer, 'client-id': clientId, scope, api } = values;
  const settings = loginSettings(server, mode, {
    issuer,
    'client-id': clientId,
    scope,
    api,
  });
  const port = values.port === undefined ? undefined : listenPort(values.port);
  if (port !== undefined && mode !== 'oidc') throw new CliExit(EXIT.usage, '--port is for --mode oidc');
  const target = targetOf(settings);
  const manager = managerFor(settings, vault);
  let claims: Record<string, unknown> | undefined;
  if ('warning' in vault && typeof vault.warning === 'string') process.stderr.write(`warning: ${vault.warning}\n`);

  if (mode === 'jwt') {
    const email = await askForSignIn('email: ');
    const password = await askForSignIn('password: ', { hidden: true });
    const source = new JwtSource({ server: settings.server });
    await manager.signIn(await source.login(email, password, values.device ?? `authlab CLI on ${hostname()}`));
  } else {
    const showUrl = (url: string, reason?: Error) => {
      const why = reason ? `could not open a browser (${reason.message}); ` : '';
      process.stderr.write(`${why}open this URL in a browser to sign in:\n\n  ${url}\n\n`);
    };
    // No browser here (SSH, WSL, a container): print the URL and keep waiting for the redirect.
    const openBrowser = values['no-browser']
      ? async (url: string) => showUrl(url)
      : withManualFallback(values.browser ? commandBrowserOpener(values.browser) : defaultBrowserOpener(), showUrl);
    const abort = new AbortController();
    const onInterrupt = () => abort.abort();
    process.once('SIGINT', onInterrupt);
    process.stderr.write('waiting for you to sign in in the browser… (Ctrl-C cancels)\n');
    try {
      const authorizer = new LoopbackAuthorizer({
        issuer: target.issuer,
        clientId: target.clientId,
        scope: target.scope,
        openBrowser,
        ...(port !== undefined ? { port } : {}),
      });
      const result = await authorizer.authorize({ signal: abort.signal });
      await manager.signIn(result.tokens);
      claims = result.claims;
    } finally {
      process.off('SIGINT', onInterrupt);
    }
  }
  writeSettings(home, settings);
  // Signed in and stored: from here on nothing may report a failure, only say what is unknown.
  const { who, note } = await identify(manager, target.api, claims);
  if (note) process.stderr.write(`note: ${note}\n`);
  const where = mode === 'oidc' && settings.issuer !== undefined ? target.issuer : settings.server;
  process.stdout.write(`signed in as ${who} (${mode}, ${where}); token in ${vault.kind}\n`);
}
