/** Who takes part in a sign-in: the person's browser or app, the authlab server, the OpenID Provider. */
export type Party = 'browser' | 'app' | 'server' | 'provider';

/** One message that passed, as drawn: an arrow from one party to another with a label and details. */
export interface WireMessage {
  /** ms since the epoch, on the recorder's clock. */
  at: number;
  from: Party;
  to: Party;
  /** `POST /jwt/login`, `303 → /oidc/interaction/…`, `200`. */
  label: string;
  /** Parameters, headers and fields worth seeing, each value already shortened. */
  details: Array<[string, string]>;
  /** Which panel or mode it belongs to (`session`, `jwt`, `oidc`, …), for filtering. */
  mode: string;
  /** An answer (drawn dashed) rather than a request. */
  reply: boolean;
}

/**
 * Names whose values are credentials or one-time secrets: never kept whole. A password is never
 * kept at all, not even its first characters.
 */
const SECRET_NAMES = new Set([
  'access_token',
  'refresh_token',
  'id_token',
  'code',
  'code_verifier',
  'client_secret',
  'token',
  'state',
  'nonce',
  'authorization',
  'cookie',
  'set-cookie',
  // oidc-provider's end-session CSRF token (48 hex characters: not cut by length alone).
  'xsrf',
  'id_token_hint',
  'logout_token',
  'assertion',
  'client_assertion',
  'subject_token',
  'device_code',
  'user_code',
]);
const NEVER_SHOWN = new Set(['password', 'new_password', 'current_password']);

/** Longer values are cut for the drawing's sake, secret or not. */
const MAX_PLAIN = 48;

/**
 * A secret as it may be shown and stored: its first 6 characters and its length
 * (`eyJhbG…(612 chars)`), enough to tell two tokens apart on a slide, never enough to use one.
 *
 * @example
 * shortenSecret('Zx8k2mQ9hT0aLw…') // 'Zx8k2m…(43 chars)'
 */
export function shortenSecret(value: string): string {
  if (value.length <= 8) return `…(${value.length} chars)`;
  return `${value.slice(0, 6)}…(${value.length} chars)`;
}

/** A named value as it may be kept: passwords masked, secrets shortened, long values cut. */
export function shownValue(name: string, value: string): string {
  const key = name.toLowerCase();
  if (NEVER_SHOWN.has(key)) return '•••';
  if (SECRET_NAMES.has(key)) return shortenSecret(value);
  return value.length > MAX_PLAIN ? `${value.slice(0, MAX_PLAIN - 1)}…` : value;
}

/** `Bearer eyJhbG…(612 chars)`: the scheme stays readable, the credential does not. */
export function shownAuthorization(value: string): string {
  const [scheme, credential] = value.split(/\s+/, 2);
  return credential ? `${scheme} ${shortenSecret(credential)}` : shortenSecret(value);
}

/** `__Host-authlab.sid=Ab12Cd…(86 chars); HttpOnly; SameSite=Lax`: the name and flags, never the value. */
export function shownSetCookie(header: string): string {
  const [pair = '', ...attributes] = header.split(';').map((part) => part.trim());
  const at = pair.indexOf('=');
  const name = at < 0 ? pair : pair.slice(0, at);
  const value = at < 0 ? '' : pair.slice(at + 1);
  // A Path may name a handle (oidc-provider's `_interaction` cookie is scoped to the interaction's uid).
  const flags = attributes
    .filter((a) => /^(httponly|secure|samesite=|path=|max-age=)/i.test(a))
    .map((a) =>
      /^path=/i.test(a) ? `path=${a.slice(5).replace(/[^/]{25,}/g, (segment) => shortenSecret(segment))}` : a,
    );
  return [`${name}=${value ? shortenSecret(value) : '(cleared)'}`, ...flags].join('; ');
}

/** The scalar fields of an object (a query, a form, a JSON body) as they may be kept. */
export function shownFields(source: unknown, only?: readonly string[]): Array<[string, string]> {
  if (!source || typeof source !== 'object') return [];
  return Object.entries(source as Record<string, unknown>)
    .filter(([name]) => only === undefined || only.includes(name))
    .filter(([, value]) => typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
    .map(([name, value]) => [name, shownValue(name, String(value))]);
}

/** Fields of a JSON answer worth a line in the drawing (tokens among them, shortened). */
export const ANSWER_FIELDS = [
  'error',
  'error_description',
  'token_type',
  'access_token',
  'expires_in',
  'refresh_token',
  'id_token',
  'scope',
  'email',
  'role',
  'mode',
];
