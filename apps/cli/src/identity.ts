import type { TokenManager } from '@authlab/native-client';

/** What `GET <api>/api/me` said, sorted by what the CLI can do with it. */
export type MeAnswer =
  | { kind: 'authlab'; email: string; role: string; mode: string; sub: string }
  | { kind: 'other'; body: unknown }
  | { kind: 'not-json' | 'error'; status: number; message: string };

/**
 * Asks the API who the token belongs to. An authlab server answers `{sub, email, role, mode}`;
 * another API may answer other JSON, or a page, or an error: each is a value here, never a
 * parse error thrown at the person.
 */
export async function readMe(manager: TokenManager, api: string): Promise<MeAnswer> {
  const url = `${api}/api/me`;
  const response = await manager.fetch(url);
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    const type = response.headers.get('content-type') ?? 'no content type';
    return {
      kind: 'not-json',
      status: response.status,
      message: `GET ${url} answered ${response.status} with ${type}, not JSON: is --api an authlab server?`,
    };
  }
  if (!response.ok)
    return { kind: 'error', status: response.status, message: `GET ${url} answered ${response.status}` };
  const me = body as Record<string, unknown>;
  const texts = ['sub', 'email', 'role', 'mode'].every((key) => typeof me[key] === 'string');
  return texts
    ? { kind: 'authlab', ...(me as { email: string; role: string; mode: string; sub: string }) }
    : { kind: 'other', body };
}

const firstText = (...values: unknown[]) => values.find((value): value is string => typeof value === 'string');

/**
 * Who just signed in, for `login`'s last line: the API's answer where it gives one, else the ID
 * token's claims. Runs after the token is stored, so it never fails: what it could not learn is
 * a note, not an error.
 */
export async function identify(
  manager: TokenManager,
  api: string,
  claims: Record<string, unknown> | undefined,
): Promise<{ who: string; note?: string }> {
  const fromIdToken = firstText(claims?.email, claims?.preferred_username, claims?.upn, claims?.sub) ?? 'unknown';
  let me: MeAnswer;
  try {
    me = await readMe(manager, api);
  } catch (error) {
    return { who: fromIdToken, note: `signed in, but ${api} did not answer: ${(error as Error).message}` };
  }
  if (me.kind === 'authlab') return { who: me.email };
  if (me.kind === 'other') {
    const body = me.body as Record<string, unknown> | null;
    return { who: firstText(body?.email, body?.preferred_username, body?.sub) ?? fromIdToken };
  }
  return { who: fromIdToken, note: `signed in; ${me.message} (whoami and call need an API that takes this token)` };
}
