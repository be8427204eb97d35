const BASE64URL_PART = /^[A-Za-z0-9_-]+$/;

/**
 * Whether a compact JWS is spelled the one way it can be: three unpadded base64url parts (RFC 7515
 * §2), each of which re-encodes to itself, so no `=` padding and no set bits in a last character's
 * unused low bits (RFC 4648 §3.5, "canonical encoding"). Decoders accept those spellings and the
 * signature still verifies, so without this check one token has many spellings: each its own
 * cache key, log line or deny-list entry.
 *
 * @example
 * isCanonicalCompactJws(token);        // true for a token we issued
 * isCanonicalCompactJws(`${token}=`);  // false
 */
export function isCanonicalCompactJws(token: string): boolean {
  const parts = token.split('.');
  return (
    parts.length === 3 &&
    parts.every((part) => BASE64URL_PART.test(part) && Buffer.from(part, 'base64url').toString('base64url') === part)
  );
}
