import { isLoopbackHttp } from '@authlab/native-client';
import { CliExit, EXIT } from './exit-codes.ts';
import type { Settings } from './settings.ts';

/** The public native client every authlab server registers (RFC 8252). */
// The terminal's own registration at our provider, so the consent page names the client that asks.
export const DEFAULT_CLIENT_ID = 'authlab-cli';
/** `api` is authlab's scope for `/api/*`; `offline_access` asks for a refresh token (OIDC Core §11). */
export const DEFAULT_SCOPE = 'openid email offline_access api';

/** Where one sign-in goes and what it asks for, every default filled in. */
export interface Target {
  server: string;
  issuer: string;
  clientId: string;
  scope: string;
  /** Base URL of the API: `call /x` goes to `<api>/x`; no trailing slash. */
  api: string;
  /** The vault entry: one per server and mode, or per issuer and client for another provider. */
  account: string;
}

/**
 * An https URL, or plain http on a loopback host only: tokens and codes must not cross a network
 * in clear (RFC 9700 §2.6; RFC 8252 §8.3 allows loopback). `what` names the option in messages.
 */
export function checkedUrl(raw: string, what: string): URL {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new CliExit(EXIT.usage, `${what} ${raw} is not a URL`);
  }
  if (url.protocol === 'http:' && !isLoopbackHttp(url)) {
    throw new CliExit(EXIT.usage, `refusing ${raw}: plain http is accepted only on a loopback host; use https`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new CliExit(EXIT.usage, `refusing ${raw}: use https (or plain http on a loopback host)`);
  }
  if (url.username || url.password || url.search || url.hash) {
    throw new CliExit(EXIT.usage, `${what} ${raw}: no credentials, query or fragment in this URL`);
  }
  return url;
}

/** The options `login` takes for another provider (each also stored for the next commands). */
export interface TargetOptions {
  issuer?: string | undefined;
  'client-id'?: string | undefined;
  scope?: string | undefined;
  api?: string | undefined;
}

/** The settings a `login` stores: the server, and only the OIDC options given to it. */
export function loginSettings(server: string, mode: Settings['mode'], options: TargetOptions): Settings {
  const given = (['issuer', 'client-id', 'scope', 'api'] as const).find((name) => options[name] !== undefined);
  if (mode === 'jwt' && given) {
    throw new CliExit(
      EXIT.usage,
      `--${given} is for --mode oidc (the JWT mode signs in and calls the API at --server)`,
    );
  }
  const settings: Settings = { server, mode };
  if (options.issuer !== undefined) {
    checkedUrl(options.issuer, '--issuer');
    // Exactly as given (Auth0's issuer ends in "/", Keycloak's does not): discovery compares it.
    settings.issuer = options.issuer.trim();
  }
  if (options['client-id'] !== undefined) {
    const clientId = options['client-id'].trim();
    if (!clientId) throw new CliExit(EXIT.usage, '--client-id is empty');
    settings.clientId = clientId;
  }
  if (options.scope !== undefined) {
    const scopes = options.scope.split(/\s+/).filter(Boolean);
    // The sign-in verifies an ID token (OIDC Core §3.1.2.1: no `openid`, no ID token).
    if (!scopes.includes('openid'))
      throw new CliExit(EXIT.usage, `--scope must include openid (got "${options.scope}")`);
    settings.scope = scopes.join(' ');
  }
  if (options.api !== undefined) settings.api = checkedUrl(options.api, '--api').href.replace(/\/$/, '');
  return settings;
}

/** Every default filled in: our server's provider, client and API unless the settings name others. */
export function targetOf(settings: Settings): Target {
  const issuer = settings.issuer ?? `${settings.server}/oidc`;
  const clientId = settings.clientId ?? DEFAULT_CLIENT_ID;
  return {
    server: settings.server,
    issuer,
    clientId,
    scope: settings.scope ?? DEFAULT_SCOPE,
    api: settings.api ?? settings.server,
    // Per issuer and client: a refresh token works only for the client it was issued to (RFC 6749
    // §6), so a sign-in made as another client (the CLI was `authlab-desktop` before it had its
    // own registration) is never picked up, refreshed or "revoked" as this one.
    account: settings.mode === 'jwt' ? `jwt:${settings.server}` : `oidc:${issuer} ${clientId}`,
  };
}
