import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { NativeAuthError } from '../types.ts';
import {
  type AuthorizationResult,
  authorizationRequest,
  discover,
  type PendingRequest,
  redeemCode,
} from './authorization-code.ts';
import { carriesState, checkAuthorizationResponse, classifyRequest, isStartSecret } from './callback-validation.ts';
import { asNativeError, BrowserOpenError, timeoutError } from './errors.ts';
import { listenOnLoopback } from './listener.ts';
import { PAGE_HEADERS, resultPageHtml } from './result-pages.ts';
import type { Settings } from './settings.ts';
import { newStartSecret } from './start-link.ts';

/** After the callback is answered, how long the result page stays reachable before the listener closes. */
const RESULT_PAGE_GRACE_MS = 3_000;

export type Outcome = { ok: true; result: AuthorizationResult } | { ok: false; error: NativeAuthError };

/**
 * One sign-in: its listener, its timer, its outcome. Settles once; closes everything it opened.
 *
 * It moves through `starting` (discovery, binding the listener, opening the browser), `waiting`
 * (for the browser's `GET /callback`), `redeeming` (the browser is held while the code is
 * redeemed) and `settled` (the browser is sent with a 303 to `/done`, and the listener closes
 * after that page, or after `RESULT_PAGE_GRACE_MS`).
 *
 * The browser is not opened on the authorization URL but on the listener's one-time
 * `/start/<256-bit secret>`, which answers once with a 302 to it: a program that reads the
 * browser's command line finds no `state` or PKCE challenge there, only a link that is spent.
 */
export class LoginAttempt {
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
  /** The path secret of `/start/…`, and the authorization URL it redirects to, once. */
  readonly #startSecret = newStartSecret();
  #authorizationUrl: string | undefined;
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
    const configuration = await discover(this.#settings, this.#stop.signal);
    if (this.#outcome) return;
    this.#listening = this.#listen();
    await this.#listening;
    if (this.#outcome) return;
    const { request, url } = await authorizationRequest(
      configuration,
      `http://${this.#expectedHost}/callback`,
      this.#settings,
    );
    if (this.#outcome) return;
    this.#request = request;
    this.#authorizationUrl = url;
    this.#phase = 'waiting';
    // The command line of the browser (readable by any process of the user, /proc/<pid>/cmdline)
    // carries only this one-time link; state and challenge travel in the 302 it answers with.
    const startUrl = `http://${this.#expectedHost}/start/${this.#startSecret}`;
    Promise.resolve()
      .then(() => this.#settings.openBrowser(startUrl, { authorizationUrl: url }))
      .catch((error: unknown) => this.#settle({ ok: false, error: new BrowserOpenError(startUrl, error) }));
  }

  async #listen(): Promise<void> {
    const { hosts, port } = this.#settings;
    const bound = await listenOnLoopback(hosts, port, (request, response) => this.#onRequest(request, response));
    if (!bound) return;
    this.#server = bound.server;
    this.#expectedHost = bound.host;
  }

  #onRequest(request: IncomingMessage, response: ServerResponse): void {
    const call = classifyRequest(request, this.#expectedHost);
    if (call.route === 'start' && isStartSecret(call.secret, this.#startSecret)) {
      this.#start302(response);
    } else if (
      call.route === 'callback' &&
      this.#phase === 'waiting' &&
      carriesState(call.params, this.#requestState())
    ) {
      this.#redeem(call.params, response);
    } else if (call.route === 'result' && this.#outcome) {
      this.#showResult(response, this.#outcome);
    } else {
      response.writeHead(404, { ...PAGE_HEADERS, 'content-type': 'text/plain; charset=utf-8' }).end('not found');
    }
  }

  /**
   * The start link works once, while the sign-in waits. Opened a second time before the sign-in
   * ended, it means two agents hold it: some program read it and may be racing the person's
   * browser to the provider to sign in as itself (login CSRF). Which of the two will bring a code
   * back cannot be told, so the sign-in ends (`start_reused`) and the person starts again.
   */
  #start302(response: ServerResponse): void {
    const url = this.#authorizationUrl;
    if (this.#phase === 'waiting' && url !== undefined) {
      this.#authorizationUrl = undefined;
      response.writeHead(302, { ...PAGE_HEADERS, location: url }).end();
      return;
    }
    if (this.#phase !== 'waiting' && this.#phase !== 'redeeming') {
      response.writeHead(404, { ...PAGE_HEADERS, 'content-type': 'text/plain; charset=utf-8' }).end('not found');
      return;
    }
    const outcome: Outcome = {
      ok: false,
      error: new NativeAuthError(
        'start_reused',
        'the sign-in link was opened twice (another program may have read it); the sign-in was stopped: start again',
      ),
    };
    // The failure page first (settling closes the listener and its connections), then the end.
    response.once('finish', () => this.#settle(outcome));
    response
      .writeHead(404, { ...PAGE_HEADERS, 'content-type': 'text/html; charset=utf-8', connection: 'close' })
      .end(resultPageHtml(this.#settings.pages, outcome));
  }

  #requestState(): string {
    return (this.#request as PendingRequest).state;
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
    checkAuthorizationResponse(params, { state: request.state, metadata: request.configuration.serverMetadata() });
    return redeemCode(request, params, this.#settings.resource);
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
    const html = resultPageHtml(this.#settings.pages, outcome);
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
