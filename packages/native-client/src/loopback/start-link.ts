import { randomBytes } from 'node:crypto';

/**
 * The loopback listener's one-time start link, `http://127.0.0.1:<port>/start/<secret>` (or
 * `[::1]`): what the browser is given instead of the authorization URL, so no `state` or PKCE
 * challenge is on its command line. One owner for its format: the listener makes and routes it,
 * the desktop app's opener lets it (and nothing else on loopback) through.
 */
export const START_PATH = '/start/';

/** A fresh start secret: 256 bits, base64url (43 characters). */
export const newStartSecret = (): string => randomBytes(32).toString('base64url');

/**
 * Whether `raw` has the shape of a start link: plain http to a loopback IP literal with a port,
 * no credentials, query or fragment, and a 43-character secret (RFC 8252 §7.3, §8.3).
 */
export function isLoopbackStartLink(raw: string): boolean {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return false;
  }
  return (
    url.protocol === 'http:' &&
    (url.hostname === '127.0.0.1' || url.hostname === '[::1]') &&
    url.port !== '' &&
    url.username === '' &&
    url.password === '' &&
    url.search === '' &&
    url.hash === '' &&
    url.pathname.startsWith(START_PATH) &&
    /^[A-Za-z0-9_-]{43}$/.test(url.pathname.slice(START_PATH.length))
  );
}
