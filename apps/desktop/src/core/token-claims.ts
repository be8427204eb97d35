/**
 * The claims of a JWT, decoded for display only: no signature check here (the server checks
 * tokens; the app only shows what it holds). Anything that is not a JWT gives null.
 *
 * @example
 * decodeClaims(accessToken); // { sub: '…', exp: 1767225600, … }
 */
export function decodeClaims(token: string): Record<string, unknown> | null {
  const payload = token.split('.')[1];
  if (payload === undefined) return null;
  try {
    const claims: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    return claims && typeof claims === 'object' && !Array.isArray(claims) ? (claims as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
