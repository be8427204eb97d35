import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type * as client from 'openid-client';
import { NativeAuthError } from '../types.ts';
import { START_PATH } from './start-link.ts';

/**
 * What a request to the listener is: the start of the sign-in (`GET /start/<secret>`, the URL
 * the browser is opened on), the authorization response (`GET /callback`, its query string as
 * `params`), the result page (`GET /done`), or anything else (`other`, a 404).
 */
export type ListenerRequest =
  | { route: 'start'; secret: string }
  | { route: 'callback'; params: URLSearchParams }
  | { route: 'result' }
  | { route: 'other' };

/**
 * Sorts a request by route. Only the browser's top-level navigation carrying exactly the `Host`
 * the listener is bound to (`127.0.0.1:53123`, `[::1]:53123`) can reach a route at all.
 */
export function classifyRequest(request: IncomingMessage, expectedHost: string): ListenerRequest {
  const target = request.url ?? '';
  const queryAt = target.indexOf('?');
  const path = queryAt === -1 ? target : target.slice(0, queryAt);
  const ours =
    request.method === 'GET' &&
    // DNS rebinding: a page on evil.example resolving to 127.0.0.1 still sends its own Host.
    request.headers.host === expectedHost &&
    // Only the browser's own top-level navigation: not a fetch, image or frame from some page.
    (request.headers['sec-fetch-mode'] ?? 'navigate') === 'navigate' &&
    (request.headers['sec-fetch-dest'] ?? 'document') === 'document';
  if (ours && path === '/callback') {
    return { route: 'callback', params: new URLSearchParams(queryAt === -1 ? '' : target.slice(queryAt + 1)) };
  }
  if (ours && path === '/done') return { route: 'result' };
  if (ours && path.startsWith(START_PATH) && queryAt === -1) {
    return { route: 'start', secret: path.slice(START_PATH.length) };
  }
  return { route: 'other' };
}

/** Whether `secret` is this sign-in's start secret (constant-time comparison). */
export function isStartSecret(secret: string, expected: string): boolean {
  return sameText(secret, expected);
}

/**
 * Whether the callback carries exactly one `state`, this sign-in's (constant-time comparison).
 * Any local process can reach the loopback port, so a callback that does not is not this
 * sign-in's response at all: the listener ignores it (404) and keeps waiting, rather than let a
 * stray or hostile request end the sign-in.
 */
export function carriesState(params: URLSearchParams, state: string): boolean {
  const values = params.getAll('state');
  return values.length === 1 && values[0] !== undefined && sameText(values[0], state);
}

/**
 * Checks an authorization response before its code is redeemed, in this order: no parameter
 * repeated (`invalid_response`), the `state` this sign-in sent, compared in constant time
 * (`state_mismatch`), the RFC 9207 `iss` (`iss_mismatch`), the provider's own `error` (thrown
 * with that code when it is a plain token, else `authorization_error`), and a `code`.
 */
export function checkAuthorizationResponse(
  params: URLSearchParams,
  expected: { state: string; metadata: client.ServerMetadata },
): void {
  const single = (name: string) => {
    const values = params.getAll(name);
    if (values.length > 1) throw new NativeAuthError('invalid_response', `the response repeats "${name}"`);
    return values[0];
  };
  const state = single('state');
  if (state === undefined || !sameText(state, expected.state)) {
    throw new NativeAuthError('state_mismatch', 'the browser brought back a response to another sign-in (state)');
  }
  // RFC 9207: a response naming another issuer is an authorization server mix-up.
  const { issuer, authorization_response_iss_parameter_supported: issPromised } = expected.metadata;
  const iss = single('iss');
  if (iss === undefined ? issPromised : iss !== issuer) {
    throw new NativeAuthError('iss_mismatch', `the response names issuer ${iss ?? '(none)'}, expected ${issuer}`);
  }
  const error = single('error');
  if (error !== undefined) {
    const code = /^[a-z0-9_.-]{1,64}$/i.test(error) ? error : 'authorization_error';
    const description = single('error_description');
    throw new NativeAuthError(code, `the sign-in server answered ${error}${description ? `: ${description}` : ''}`);
  }
  if (!single('code')) throw new NativeAuthError('invalid_response', 'the response carries no code');
}

const sameText = (a: string, b: string) => {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
};
