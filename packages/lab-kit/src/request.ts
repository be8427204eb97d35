/** The one HTTP helper the attacks and checks share: most of what they send is a JSON POST. */

/**
 * `POST {lab.url}{path}` with `body` as JSON (and any extra headers: a cookie, a bearer token).
 * Resolves to the plain fetch Response, whatever its status: the caller decides what it means.
 *
 * @example
 * const login = await postJson(lab, '/login', { username: 'alice', password: 'wonderland' });
 */
export function postJson(
  lab: { url: string },
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(`${lab.url}${path}`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}
