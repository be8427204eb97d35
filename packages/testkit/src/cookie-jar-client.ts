/** `fetch` options plus a JSON or form body, which set the content type. */
export type CookieJarRequestInit = RequestInit & { json?: unknown; form?: Record<string, string> };

/**
 * An HTTP client with a cookie jar, the way a CLI or a scripted browser-less client talks to the
 * server: it sends the cookies it holds (unless the request sets its own `Cookie`), keeps what
 * `Set-Cookie` gives, drops what it expires, and never follows redirects (a 303 is an answer to
 * look at). No `Origin` and no `Sec-Fetch-*`: that is how a non-browser client looks to the
 * origin check. The jar ignores Path and Domain: one client, one server.
 *
 * @example
 * const client = new CookieJarClient(server.url);
 * await client.request('/session/login', { method: 'POST', json: { email, password } });
 * (await client.request('/session/me')).status; // 200
 */
export class CookieJarClient {
  readonly base: string;
  readonly cookies = new Map<string, string>();
  /** Every Set-Cookie line received, in order, attributes included. */
  readonly setCookieLines: string[] = [];

  constructor(base: string) {
    this.base = base;
  }

  cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  async request(path: string, init: CookieJarRequestInit = {}): Promise<Response> {
    const { json, form, ...rest } = init;
    const headers = new Headers(rest.headers);
    if (this.cookies.size > 0 && !headers.has('cookie')) headers.set('cookie', this.cookieHeader());
    let body = rest.body;
    if (json !== undefined) {
      headers.set('content-type', 'application/json');
      body = JSON.stringify(json);
    } else if (form) {
      headers.set('content-type', 'application/x-www-form-urlencoded');
      body = new URLSearchParams(form).toString();
    }
    const response = await fetch(new URL(path, this.base), { redirect: 'manual', ...rest, headers, body });
    for (const line of response.headers.getSetCookie()) {
      this.setCookieLines.push(line);
      this.#keep(line);
    }
    return response;
  }

  /** `request`, with the body parsed as JSON where it is JSON (its text otherwise, undefined when empty). */
  async json(path: string, init: CookieJarRequestInit = {}) {
    const response = await this.request(path, init);
    const text = await response.text();
    // biome-ignore lint/suspicious/noExplicitAny: each test reads the fields of the answer it checks
    let body: any;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = text;
    }
    return { status: response.status, headers: response.headers, body };
  }

  #keep(setCookie: string): void {
    const [pair = '', ...attributes] = setCookie.split(';');
    const at = pair.indexOf('=');
    if (at <= 0) return;
    const name = pair.slice(0, at).trim();
    const value = pair.slice(at + 1).trim();
    const expired = value === '' || attributes.some((a) => /^\s*expires=Thu, 01 Jan 1970/i.test(a));
    if (expired) this.cookies.delete(name);
    else this.cookies.set(name, value);
  }
}
