import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as client from 'openid-client';
import { type BrowserOpener, defaultBrowserOpener } from './browser-opener.ts';
import { isLoopbackHttp } from './discover.ts';
import { NativeAuthError, type TokenSet } from './types.ts';

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
  /** Shows the authorization URL to the person; default `defaultBrowserOpener()`. */
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
}

export interface AuthorizationResult {
  tokens: TokenSet;
  /** The verified ID token's claims (`sub`, `email`, …). */
  claims: client.IDToken;
  /** The redirect URI this sign-in used, e.g. `http://127.0.0.1:53123/callback`. */
  redirectUri: string;
}

/** `browser_failed`, with the authorization URL for a caller that wants to show it. */
export class BrowserOpenError extends NativeAuthError {
  readonly authorizationUrl: string;
  constructor(authorizationUrl: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(
      'browser_failed',
      `could not open a browser (${reason}), so this sign-in stopped. Start it again and open its URL by hand ` +
        `in any browser on this computer; this attempt's URL was ${authorizationUrl}`,
      { cause },
    );
    this.name = 'BrowserOpenError';
    this.authorizationUrl = authorizationUrl;
  }
}

const DEFAULT_SCOPE = 'openid email offline_access api';
const DEFAULT_TIMEOUT_MS = 5 * 60_000;
/** After the callback is answered, how long the result page stays reachable before the listener closes. */
const RESULT_PAGE_GRACE_MS = 3_000;
const FALLBACK_ERRORS = new Set(['EADDRNOTAVAIL', 'EAFNOSUPPORT']);

/**
 * Signs a person in through their own browser (RFC 8252): Authorization Code with PKCE S256, a
 * `state` and a `nonce`, redirected to a one-shot HTTP listener on a loopback IP literal.
 *
 * One sign-in at a time: calling `authorize()` while one is pending cancels the earlier one (it
 * rejects with code `superseded` and its listener closes before the new one opens), so clicking
 * "Sign in" twice never leaves a listener behind or collides on a fixed port.
 *
 * The listener binds `127.0.0.1` (or `[::1]` where IPv4 loopback does not exist), never all
 * interfaces, and puts that literal and its real port in `redirect_uri`. It answers only
 * `GET /callback` and its result page, only to a top-level navigation carrying the exact `Host`
 * it listens on (DNS rebinding); anything else is a 404 that leaves the sign-in alone. The
 * callback is checked (state, RFC 9207 `iss`, `error`), the code redeemed, and only then is the
 * browser sent (303, `no-store`) to a clean page saying signed in, or what failed and what to do.
 *
 * `authorize()` settles after the listener has closed, rejecting with `NativeAuthError` codes:
 * `timeout`, `aborted`, `superseded`, `port_in_use`, `listen_failed`, `browser_failed`
 * (`BrowserOpenError`), `discovery_failed`, `state_mismatch`, `iss_mismatch`, `invalid_response`,
 * `exchange_failed`, or the provider's own `error` (`access_denied`, …).
 *
 * @example
 * const authorizer = new LoopbackAuthorizer({ issuer: 'http://127.0.0.1:4000/oidc', clientId: 'authlab-desktop' });
 * const { tokens, claims } = await authorizer.authorize({ signal: AbortSignal.timeout(120_000) });
 * console.log(`signed in as ${claims.email}`);
 */
export class LoopbackAuthorizer {
  readonly #settings: Settings;
  #pending: LoginAttempt | undefined;
  /** Resolves once every earlier attempt's listener has closed. */
  #earlierClosed: Promise<void> = Promise.resolve();

  constructor(options: LoopbackAuthorizerOptions) {
    this.#settings = validate(options);
  }

  /**
   * Runs one sign-in: opens the browser at the provider and waits for its answer at the loopback
   * listener. Cancels the sign-in still pending on this authorizer, if any (`superseded`).
   */
  authorize(options: { signal?: AbortSignal } = {}): Promise<AuthorizationResult> {
    const attempt = new LoginAttempt(this.#settings);
    this.#pending?.cancel(
      new NativeAuthError('superseded', 'a newer sign-in was started; this one was cancelled and its listener closed'),
    );
    this.#pending = attempt;
    const earlierClosed = this.#earlierClosed;
    // Resolved with nothing: outcomes (tokens) are not kept alive along this chain.
    this.#earlierClosed = Promise.all([earlierClosed, attempt.finished]).then(() => undefined);
    return earlierClosed
      .then(() => attempt.run(options.signal))
      .finally(() => {
        if (this.#pending === attempt) this.#pending = undefined;
      });
  }
}

interface Settings {
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
}

function validate(options: LoopbackAuthorizerOptions): Settings {
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
    resource: options.resource,
    openBrowser: options.openBrowser ?? defaultBrowserOpener(),
    timeoutMs,
    port,
    hosts,
    clock: options.clock ?? Date.now,
    pages: options.pages ?? {},
  };
}

type Outcome = { ok: true; result: AuthorizationResult } | { ok: false; error: NativeAuthError };

/** What this attempt sent to the provider and must see again. */
interface PendingRequest {
  configuration: client.Configuration;
  redirectUri: string;
  state: string;
  nonce: string;
  verifier: string;
}

/** One sign-in: its listener, its timer, its outcome. Settles once; closes everything it opened. */
class LoginAttempt {
  readonly #settings: Settings;
  /** Aborted when the attempt settles: stops discovery and the token request in flight. */
  readonly #stop = new AbortController();
  readonly #cleanups: Array<() => void> = [];
  #outcome: Outcome | undefined;
  #request: PendingRequest | undefined;
  #phase: 'starting' | 'waiting' | 'redeeming' | 'settled' = 'starting';
  #listening: Promise<void> | undefined;
  #server: Server | undefined;
  #expectedHost = '';
  /** The browser's /callback request, answered once the outcome is known. */
  #heldCallback: ServerResponse | undefined;
  #closing = false;
  #finish!: (outcome: Outcome) => void;
  /** Resolves (never rejects) with the outcome once the listener is closed. */
  readonly finished = new Promise<Outcome>((resolve) => {
    this.#finish = resolve;
  });

  constructor(settings: Settings) {
    this.#settings = settings;
  }

  cancel(error: NativeAuthError): void {
    this.#settle({ ok: false, error });
  }

  async run(signal: AbortSignal | undefined): Promise<AuthorizationResult> {
    if (!this.#outcome) {
      const timer = setTimeout(() => this.cancel(timeoutError(this.#settings.timeoutMs)), this.#settings.timeoutMs);
      this.#cleanups.push(() => clearTimeout(timer));
      if (signal) {
        const onAbort = () => this.cancel(new NativeAuthError('aborted', 'the sign-in was cancelled'));
        if (signal.aborted) onAbort();
        signal.addEventListener('abort', onAbort, { once: true });
        this.#cleanups.push(() => signal.removeEventListener('abort', onAbort));
      }
      this.#start().catch((error: unknown) => this.#settle({ ok: false, error: asNativeError(error) }));
    }
    const outcome = await this.finished;
    if (outcome.ok) return outcome.result;
    throw outcome.error;
  }

  async #start(): Promise<void> {
    const configuration = await this.#discover();
    if (this.#outcome) return;
    this.#listening = this.#listen();
    await this.#listening;
    if (this.#outcome) return;
    const request: PendingRequest = {
      configuration,
      redirectUri: `http://${this.#expectedHost}/callback`,
      state: client.randomState(),
      nonce: client.randomNonce(),
      verifier: client.randomPKCECodeVerifier(),
    };
    const { scope, resource } = this.#settings;
    const url = client.buildAuthorizationUrl(configuration, {
      redirect_uri: request.redirectUri,
      scope,
      code_challenge: await client.calculatePKCECodeChallenge(request.verifier),
      code_challenge_method: 'S256',
      state: request.state,
      nonce: request.nonce,
      // OpenID Connect Core §11: a refresh token for offline use only after explicit consent.
      ...(scope.split(' ').includes('offline_access') ? { prompt: 'consent' } : {}),
      ...(resource ? { resource } : {}),
    }).href;
    if (this.#outcome) return;
    this.#request = request;
    this.#phase = 'waiting';
    Promise.resolve()
      .then(() => this.#settings.openBrowser(url))
      .catch((error: unknown) => this.#settle({ ok: false, error: new BrowserOpenError(url, error) }));
  }

  async #discover(): Promise<client.Configuration> {
    const { issuer, clientId, clock } = this.#settings;
    const stop = this.#stop.signal;
    try {
      return await client.discovery(
        issuer,
        clientId,
        // openid-client validates `iat`/`exp` against Date.now() shifted by this many seconds.
        { [client.clockSkew]: Math.round((clock() - Date.now()) / 1000) },
        client.None(),
        {
          // Plain http only to a loopback issuer (checked in the constructor).
          execute: issuer.protocol === 'http:' ? [client.allowInsecureRequests] : [],
          // Kept by the configuration for the token request too: settling cancels both.
          [client.customFetch]: (url, init) =>
            fetch(url, { ...init, signal: init.signal ? AbortSignal.any([init.signal, stop]) : stop } as RequestInit),
        },
      );
    } catch (error) {
      throw new NativeAuthError('discovery_failed', `could not reach the sign-in server at ${issuer.href}`, {
        cause: error,
      });
    }
  }

  async #listen(): Promise<void> {
    const { port, hosts } = this.#settings;
    for (const [index, host] of hosts.entries()) {
      const server = createServer((request, response) => this.#onRequest(request, response));
      try {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen({ port, host }, () => {
            server.off('error', reject);
            resolve();
          });
        });
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? '';
        if (FALLBACK_ERRORS.has(code) && index < hosts.length - 1) continue;
        if (code === 'EADDRINUSE') {
          throw new NativeAuthError(
            'port_in_use',
            `port ${port} on ${host} is already in use (another sign-in or another program); close it, or use port 0 for a free one`,
            { cause: error },
          );
        }
        throw new NativeAuthError('listen_failed', `could not listen on ${host}:${port} (${code})`, { cause: error });
      }
      this.#server = server;
      const actualPort = (server.address() as AddressInfo).port;
      this.#expectedHost = host === '::1' ? `[::1]:${actualPort}` : `${host}:${actualPort}`;
      return;
    }
  }

  #onRequest(request: IncomingMessage, response: ServerResponse): void {
    const target = request.url ?? '';
    const queryAt = target.indexOf('?');
    const path = queryAt === -1 ? target : target.slice(0, queryAt);
    const ours =
      request.method === 'GET' &&
      // DNS rebinding: a page on evil.example resolving to 127.0.0.1 still sends its own Host.
      request.headers.host === this.#expectedHost &&
      // Only the browser's own top-level navigation: not a fetch, image or frame from some page.
      (request.headers['sec-fetch-mode'] ?? 'navigate') === 'navigate' &&
      (request.headers['sec-fetch-dest'] ?? 'document') === 'document';
    if (ours && path === '/callback' && this.#phase === 'waiting') {
      this.#redeem(new URLSearchParams(queryAt === -1 ? '' : target.slice(queryAt + 1)), response);
    } else if (ours && path === '/done' && this.#outcome) {
      this.#showResult(response, this.#outcome);
    } else {
      response.writeHead(404, { ...PAGE_HEADERS, 'content-type': 'text/plain; charset=utf-8' }).end('not found');
    }
  }

  /** Checks the authorization response and redeems its code; the browser waits for the outcome. */
  #redeem(params: URLSearchParams, response: ServerResponse): void {
    this.#phase = 'redeeming';
    this.#heldCallback = response;
    response.once('close', () => {
      if (this.#heldCallback === response) this.#heldCallback = undefined;
    });
    this.#exchange(params).then(
      (result) => this.#settle({ ok: true, result }),
      (error: unknown) => this.#settle({ ok: false, error: asNativeError(error) }),
    );
  }

  async #exchange(params: URLSearchParams): Promise<AuthorizationResult> {
    const request = this.#request as PendingRequest;
    const { configuration, redirectUri } = request;
    const single = (name: string) => {
      const values = params.getAll(name);
      if (values.length > 1) throw new NativeAuthError('invalid_response', `the response repeats "${name}"`);
      return values[0];
    };
    const state = single('state');
    if (state === undefined || !sameText(state, request.state)) {
      throw new NativeAuthError('state_mismatch', 'the browser brought back a response to another sign-in (state)');
    }
    // RFC 9207: a response naming another issuer is an authorization server mix-up.
    const issuer = configuration.serverMetadata().issuer;
    const iss = single('iss');
    if (
      iss === undefined ? configuration.serverMetadata().authorization_response_iss_parameter_supported : iss !== issuer
    ) {
      throw new NativeAuthError('iss_mismatch', `the response names issuer ${iss ?? '(none)'}, expected ${issuer}`);
    }
    const error = single('error');
    if (error !== undefined) {
      const code = /^[a-z0-9_.-]{1,64}$/i.test(error) ? error : 'authorization_error';
      const description = single('error_description');
      throw new NativeAuthError(code, `the sign-in server answered ${error}${description ? `: ${description}` : ''}`);
    }
    if (!single('code')) throw new NativeAuthError('invalid_response', 'the response carries no code');

    let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
    try {
      // Built from our redirect URI, never from the request's Host: it is what the code was issued to.
      tokens = await client.authorizationCodeGrant(
        configuration,
        new URL(`${redirectUri}?${params}`),
        {
          pkceCodeVerifier: request.verifier,
          expectedState: request.state,
          expectedNonce: request.nonce,
          idTokenExpected: true,
        },
        this.#settings.resource ? { resource: this.#settings.resource } : undefined,
      );
    } catch (error) {
      const message =
        error instanceof client.ResponseBodyError
          ? `the server refused the authorization code (${error.error}${error.error_description ? `: ${error.error_description}` : ''})`
          : `the token request or its ID token failed: ${(error as Error).message}`;
      throw new NativeAuthError('exchange_failed', message, { cause: error });
    }
    const claims = tokens.claims();
    if (!claims) throw new NativeAuthError('exchange_failed', 'the token response carries no ID token');
    return {
      tokens: {
        accessToken: tokens.access_token,
        // No lifetime given: treat the token as stale at once rather than guess one.
        expiresIn: tokens.expires_in ?? 0,
        refreshToken: tokens.refresh_token,
        idToken: tokens.id_token,
      },
      claims,
      redirectUri,
    };
  }

  #settle(outcome: Outcome): void {
    if (this.#outcome) return;
    this.#outcome = outcome;
    this.#phase = 'settled';
    for (const cleanup of this.#cleanups.splice(0)) cleanup();
    this.#stop.abort();
    const browser = this.#heldCallback;
    this.#heldCallback = undefined;
    if (!browser) {
      void this.#close();
      return;
    }
    // RFC 8252 §7.3 / OAuth security BCP §4.2.4: the code leaves the address bar and the history.
    const location = outcome.ok ? '/done?ok=1' : `/done?error=${encodeURIComponent(outcome.error.code)}`;
    browser.writeHead(303, { ...PAGE_HEADERS, location }).end();
    // The listener stays up for the result page only, and not for long if the browser never comes.
    const grace = setTimeout(() => void this.#close(), RESULT_PAGE_GRACE_MS);
    this.#cleanups.push(() => clearTimeout(grace));
  }

  #showResult(response: ServerResponse, outcome: Outcome): void {
    const { success, failure } = this.#settings.pages;
    const html = outcome.ok
      ? (success ?? successPage())
      : typeof failure === 'function'
        ? failure(outcome.error)
        : (failure ?? failurePage(outcome.error));
    response.once('finish', () => setImmediate(() => void this.#close()));
    response
      .writeHead(200, { ...PAGE_HEADERS, 'content-type': 'text/html; charset=utf-8', connection: 'close' })
      .end(html);
  }

  async #close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    for (const cleanup of this.#cleanups.splice(0)) cleanup();
    await this.#listening?.catch(() => {});
    const server = this.#server;
    if (server) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    }
    this.#finish(this.#outcome as Outcome);
  }
}

function timeoutError(ms: number): NativeAuthError {
  const minutes = ms >= 60_000 ? `${Math.round(ms / 60_000)} min` : `${ms} ms`;
  return new NativeAuthError('timeout', `the sign-in did not complete within ${minutes}; start it again`);
}

function asNativeError(error: unknown): NativeAuthError {
  if (error instanceof NativeAuthError) return error;
  return new NativeAuthError('sign_in_failed', error instanceof Error ? error.message : String(error), {
    cause: error,
  });
}

const sameText = (a: string, b: string) => {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
};

const PAGE_HEADERS = {
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
};

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

function page(title: string, outcome: 'success' | 'failure', body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<link rel="icon" href="data:,"><title>${escapeHtml(title)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#1f2328}
h1{font-size:1.5rem}.failure h1{color:#b42318}code{background:#f2f4f7;padding:0 .25rem;border-radius:3px}</style>
</head><body class="${outcome}"><main id="result" data-outcome="${outcome}">${body}</main></body></html>`;
}

function successPage(): string {
  return page(
    'Signed in',
    'success',
    '<h1>Signed in — you can close this tab</h1><p>Go back to the app: it has your sign-in.</p>',
  );
}

/** What went wrong, and what the person can do about it, by error code. */
const FAILURES: Record<string, [what: string, todo: string]> = {
  access_denied: [
    'You declined access, so the app was not signed in.',
    'If that was a mistake, start the sign-in again from the app and choose Allow.',
  ],
  state_mismatch: [
    'This answer does not belong to the sign-in the app is waiting for (an old tab, or another sign-in).',
    'Close this tab and start the sign-in again from the app.',
  ],
  iss_mismatch: [
    'The answer came from a different sign-in server than the one the app asked.',
    'Start the sign-in again from the app. If this keeps happening, tell whoever runs the app.',
  ],
  exchange_failed: [
    'The app could not complete the sign-in with the server.',
    'Start the sign-in again from the app. If it keeps failing, check the connection to the server.',
  ],
  timeout: ['The app stopped waiting: the sign-in took too long.', 'Start the sign-in again from the app.'],
  aborted: ['The sign-in was cancelled in the app.', 'Start the sign-in again from the app when you are ready.'],
  superseded: ['A newer sign-in was started, which replaced this one.', 'Use the tab of the newest sign-in.'],
};

function failurePage(error: NativeAuthError): string {
  const [what, todo] = FAILURES[error.code] ?? [
    'The sign-in server reported a problem.',
    'Start the sign-in again from the app. If it keeps failing, tell whoever runs the app.',
  ];
  return page(
    'Sign-in failed',
    'failure',
    `<h1>Sign-in failed</h1><p id="what">${escapeHtml(what)}</p><p id="todo">${escapeHtml(todo)}</p>` +
      `<p>Error: <code id="error-code">${escapeHtml(error.code)}</code></p>`,
  );
}
