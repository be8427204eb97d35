import { ANSWER_FIELDS, type Party, shownAuthorization, shownFields, shownSetCookie } from './message.ts';
import type { Recording } from './recording.ts';

export interface RecordingFetchOptions {
  /** Who sends: `app` for a desktop or terminal client. */
  from: Party;
  /** The panel or mode these requests belong to. */
  mode: string;
  /** The issuer's URL: requests under it are drawn to the provider, the rest to the server. */
  issuer: string;
  clock?: () => number;
}

function bodyFields(body: unknown): Array<[string, string]> {
  if (body instanceof URLSearchParams) return shownFields(Object.fromEntries(body));
  if (typeof body !== 'string') return [];
  try {
    return shownFields(JSON.parse(body));
  } catch {
    return shownFields(Object.fromEntries(new URLSearchParams(body)));
  }
}

/**
 * A `fetch` that records what it sends and what comes back into `recording`, every secret
 * shortened before it is kept (message.ts); the answer itself reaches the caller untouched.
 *
 * @example
 * const recording = new Recording();
 * const fetch = recordingFetch(globalThis.fetch, recording, { from: 'app', mode: 'jwt', issuer });
 * await new JwtSource({ server, fetch }).signIn(email, password);
 * sequenceSvg(recording.messages('jwt'));
 */
export function recordingFetch(
  fetchImpl: typeof fetch,
  recording: Recording,
  options: RecordingFetchOptions,
): typeof fetch {
  const clock = options.clock ?? Date.now;
  return async (input, init) => {
    const request = new Request(input, init);
    const url = new URL(request.url);
    const to: Party = url.href.startsWith(options.issuer) ? 'provider' : 'server';
    const details: Array<[string, string]> = [
      ...shownFields(Object.fromEntries(url.searchParams)),
      ...bodyFields(init?.body),
    ];
    const authorization = request.headers.get('authorization');
    if (authorization) details.push(['Authorization', shownAuthorization(authorization)]);
    const cookie = request.headers.get('cookie');
    if (cookie)
      details.push([
        'Cookie',
        cookie
          .split(';')
          .map((pair) => pair.trim().split('=')[0])
          .join(', '),
      ]);
    const { from, mode } = options;
    recording.add({ at: clock(), from, to, label: `${request.method} ${url.pathname}`, details, mode, reply: false });
    let response: Response;
    try {
      response = await fetchImpl(input, init);
    } catch (error) {
      recording.add({ at: clock(), from: to, to: from, label: 'no answer', details: [], mode, reply: true });
      throw error;
    }
    const answer: Array<[string, string]> = [];
    for (const header of response.headers.getSetCookie?.() ?? []) answer.push(['Set-Cookie', shownSetCookie(header)]);
    if (response.headers.get('content-type')?.includes('json')) {
      const body = await response
        .clone()
        .json()
        .catch(() => null);
      answer.push(...shownFields(body, ANSWER_FIELDS));
    }
    recording.add({
      at: clock(),
      from: to,
      to: from,
      label: String(response.status),
      details: answer,
      mode,
      reply: true,
    });
    return response;
  };
}
