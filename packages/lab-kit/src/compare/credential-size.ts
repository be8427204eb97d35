/** Row 4: the credential's size on the wire, as the bytes of the header that carries it. */
import { headerLineBytes, jwtParts, type ModeCredential } from './http.ts';
import { perMode } from './scenario.ts';
import type { Cell, Mode } from './types.ts';

export function credentialSizeRow(credentials: Record<Mode, ModeCredential>): Promise<Record<Mode, Cell>> {
  const source = (mode: Mode) =>
    `The ${mode === 'session' ? 'Cookie header built from the Set-Cookie of POST /session/login' : `Authorization header built from the access_token of ${mode === 'jwt' ? 'POST /jwt/login' : 'the OIDC token endpoint (code + PKCE)'}`}, ` +
    'as sent with GET /api/me (which answered 200); bytes of the HTTP/1.1 header line "Name: value" with its CRLF.';
  return perMode(source, async (mode) => {
    const credential = credentials[mode];
    const bytes = headerLineBytes(credential.header);
    const valueBytes = Buffer.byteLength(credential.header.value);
    const parts = mode === 'session' ? null : jwtParts(credential.raw);
    const cookieNames = mode === 'session' ? credential.raw.split('; ').map((pair) => pair.split('=')[0] ?? '') : [];
    const refreshBytes = credential.refreshToken ? Buffer.byteLength(credential.refreshToken) : null;
    return {
      value: bytes,
      unit: 'bytes',
      display: `${bytes} B (${credential.header.name})${refreshBytes ? `\n+ ${refreshBytes} B refresh token, to refresh only` : ''}`,
      detail:
        (mode === 'session'
          ? `Cookie: ${cookieNames.join(' and ')} (the 256-bit id and its signature), ${valueBytes} bytes of value.`
          : `Authorization: Bearer + a ${Buffer.byteLength(credential.raw)}-byte JWT (header ${parts?.lengths[0]}, claims ${parts?.lengths[1]}, signature ${parts?.lengths[2]} base64url characters; claims ${Object.keys(parts?.claims ?? {}).join(', ')}).`) +
        (refreshBytes ? ` The ${refreshBytes}-byte refresh token travels only to the refresh endpoint.` : ''),
      source: source(mode),
      facts: {
        headerName: credential.header.name,
        headerLineBytes: bytes,
        headerValueBytes: valueBytes,
        credentialBytes: Buffer.byteLength(credential.raw),
        cookieNames,
        claimNames: parts ? Object.keys(parts.claims) : [],
        refreshTokenBytes: refreshBytes,
      },
    };
  });
}
