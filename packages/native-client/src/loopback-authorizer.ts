import type { AuthorizationResult } from './loopback/authorization-code.ts';
import { LoginAttempt } from './loopback/login-attempt.ts';
import { type LoopbackAuthorizerOptions, type Settings, validateOptions } from './loopback/settings.ts';
import { NativeAuthError } from './types.ts';

export type { AuthorizationResult } from './loopback/authorization-code.ts';
export { BrowserOpenError } from './loopback/errors.ts';
export type { LoopbackAuthorizerOptions, LoopbackHost } from './loopback/settings.ts';

/**
 * Signs a person in through their own browser (RFC 8252): Authorization Code with PKCE S256, a
 * `state` and a `nonce`, redirected to a one-shot HTTP listener on a loopback IP literal.
 *
 * One sign-in at a time: calling `authorize()` while one is pending cancels the earlier one (it
 * rejects with code `superseded` and its listener closes before the new one opens), so clicking
 * "Sign in" twice never leaves a listener behind or collides on a fixed port.
 *
 * The listener binds `127.0.0.1` (or `[::1]` where IPv4 loopback does not exist), never all
 * interfaces, and puts that literal and its real port in `redirect_uri`. The browser is opened on
 * the listener's one-time `/start/<256-bit secret>`, which redirects (302) to the authorization
 * URL once, so `state` and the PKCE challenge never appear on a command line; opened a second
 * time while the sign-in runs, it ends the sign-in (`start_reused`: someone else read the link).
 * It answers only that link, `GET /callback` and its result page, only to a top-level navigation carrying the exact `Host`
 * it listens on (DNS rebinding); anything else is a 404 that leaves the sign-in alone. The
 * callback is checked (state, RFC 9207 `iss`, `error`), the code redeemed, and only then is the
 * browser sent (303, `no-store`) to a clean page saying signed in, or what failed and what to do.
 *
 * `authorize()` settles after the listener has closed, rejecting with `NativeAuthError` codes:
 * `timeout`, `aborted`, `superseded`, `port_in_use`, `listen_failed`, `browser_failed`
 * (`BrowserOpenError`), `discovery_failed` (no answer), `not_a_provider` (an answer that is not
 * the issuer's metadata), `start_reused`, `state_mismatch`, `iss_mismatch`, `invalid_response`,
 * `exchange_failed`, or the provider's own `error` (`access_denied`, …).
 *
 * The parts live in `./loopback/`: `settings.ts` (options and their checks), `listener.ts`
 * (binding the loopback address), `callback-validation.ts` (which requests are ours, and the
 * checks on the authorization response), `authorization-code.ts` (discovery, the PKCE request,
 * redeeming the code), `result-pages.ts` (what the browser sees at the end), and
 * `login-attempt.ts`, which runs one sign-in from start to close.
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
    this.#settings = validateOptions(options);
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
