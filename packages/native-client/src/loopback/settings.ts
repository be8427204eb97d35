import { type BrowserOpener, defaultBrowserOpener } from '../browser-opener.ts';
import { isLoopbackHttp } from '../discover.ts';
import { NativeAuthError } from '../types.ts';

/** The loopback addresses a listener may bind (RFC 8252 §7.3, §8.3): IP literals, never `localhost`. */
export type LoopbackHost = '127.0.0.1' | '::1';

export interface LoopbackAuthorizerOptions {
  /** The OpenID Provider, e.g. `https://id.example.com` or `http://127.0.0.1:4000/oidc` in development. */
  issuer: string;
  clientId: string;
  /** Default `openid email offline_access api`; `offline_access` adds `prompt=consent` (OIDC Core §11). */
  scope?: string;
  /** RFC 8707 resource indicator; absent, the provider's default resource applies. */
  resource?: string;
  /**
   * Opens the sign-in in the person's browser; default `defaultBrowserOpener()`. It is given the
   * listener's one-time start link (no `state` or challenge in it), which redirects once to the
   * authorization URL.
   */
  openBrowser?: BrowserOpener;
  /** How long one sign-in may take, from `authorize()` to the token response. Default 5 minutes. */
  timeoutMs?: number;
  /** Default 0: a free port chosen by the OS, so two apps (or two clicks) never collide. */
  port?: number;
  /** Tried in order; the next one only when the address does not exist here. Default IPv4 first. */
  hosts?: readonly LoopbackHost[];
  /** Current time in ms, for ID token checks (`iat`, `exp`); default `Date.now`. */
  clock?: () => number;
  /** HTML for the page the browser ends on; the failure page may be built from the error. */
  pages?: { success?: string; failure?: string | ((error: NativeAuthError) => string) };
  /** The HTTP client for discovery and the token request (a recording one, in the desktop app). */
  fetch?: typeof fetch;
}

/** The options, checked once and with every default filled in. */
export interface Settings {
  issuer: URL;
  clientId: string;
  scope: string;
  resource: string | undefined;
  openBrowser: BrowserOpener;
  timeoutMs: number;
  port: number;
  hosts: readonly LoopbackHost[];
  clock: () => number;
  pages: NonNullable<LoopbackAuthorizerOptions['pages']>;
  fetch: typeof fetch;
}

const DEFAULT_SCOPE = 'openid email offline_access api';
const DEFAULT_TIMEOUT_MS = 5 * 60_000;

/** Throws `invalid_issuer`, `insecure_issuer` or a `RangeError` for options no sign-in could use. */
export function validateOptions(options: LoopbackAuthorizerOptions): Settings {
  let issuer: URL;
  try {
    issuer = new URL(options.issuer);
  } catch {
    throw new NativeAuthError('invalid_issuer', `the issuer is not a URL: ${options.issuer}`);
  }
  if (issuer.protocol === 'http:' && !isLoopbackHttp(issuer)) {
    throw new NativeAuthError(
      'insecure_issuer',
      `refusing plain http to ${issuer.origin}: the issuer must use https (http only to a loopback address, for development)`,
    );
  }
  if (issuer.protocol !== 'http:' && issuer.protocol !== 'https:') {
    throw new NativeAuthError('invalid_issuer', `the issuer must be an https URL: ${options.issuer}`);
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!(timeoutMs > 0 && timeoutMs <= 2 ** 31 - 1)) throw new RangeError(`invalid timeoutMs ${timeoutMs}`);
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new RangeError(`invalid port ${port}`);
  const hosts = options.hosts ?? ['127.0.0.1', '::1'];
  if (hosts.length === 0 || hosts.some((host) => host !== '127.0.0.1' && host !== '::1')) {
    // Binding 0.0.0.0 exposes the code to the network (and a firewall prompt); `localhost` may not be loopback.
    throw new RangeError(`hosts must be loopback IP literals (127.0.0.1, ::1), not ${hosts.join(', ')}`);
  }
  return {
    issuer,
    clientId: options.clientId,
    scope: options.scope ?? DEFAULT_SCOPE,
    fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
    resource: options.resource,
    openBrowser: options.openBrowser ?? defaultBrowserOpener(),
    timeoutMs,
    port,
    hosts,
    clock: options.clock ?? Date.now,
    pages: options.pages ?? {},
  };
}
