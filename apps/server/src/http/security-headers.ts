import type { Context, Next } from 'koa';
import helmet from 'koa-helmet';

/** helmet's options for this server: every value is static (no per-request nonce). */
export function helmetOptions(https: boolean) {
  return {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
        objectSrc: ["'none'"],
        ...(https ? { upgradeInsecureRequests: [] } : {}),
      },
    },
    // Not `no-referrer`: under it a browser sends `Origin: null` on its own same-origin form posts
    // (Fetch, "append a request Origin header"), which the origin check must refuse.
    referrerPolicy: { policy: 'same-origin' as const },
    xFrameOptions: { action: 'deny' as const },
    strictTransportSecurity: https ? { maxAge: 31_536_000, includeSubDomains: true } : false,
    crossOriginResourcePolicy: { policy: 'same-origin' as const },
  };
}

/**
 * The headers helmet sets with these options, computed once by running it against a recorder.
 * With no per-request value among them, helmet would build the very same list on every request
 * (the CSP string included, through a dozen chained callbacks and a promise).
 */
export function helmetHeaders(https: boolean): Array<[string, string]> {
  const headers = new Map<string, string>();
  const res = {
    setHeader: (name: string, value: unknown) => void headers.set(name, String(value)),
    removeHeader: (name: string) => void headers.delete(name),
    getHeader: (name: string) => headers.get(name),
  };
  // helmet's middlewares are synchronous: the recorder holds every header when the call returns.
  void helmet(helmetOptions(https))({ req: {}, res } as unknown as Context, () => Promise.resolve());
  if (!headers.has('Content-Security-Policy') || !headers.has('X-Frame-Options')) {
    throw new Error(`helmet set ${[...headers.keys()].join(', ') || 'nothing'} synchronously: cannot precompute`);
  }
  return [...headers];
}

/**
 * Security headers on every response (helmet): a strict CSP with no inline script, no framing
 * (`frame-ancestors 'none'` against clickjacking), `nosniff`, a `same-origin` referrer policy so no URL
 * leaks to another site, and HSTS only where the site is really served over https.
 */
export function securityHeaders(https: boolean) {
  const headers = helmetHeaders(https);
  return function setSecurityHeaders(ctx: Context, next: Next): Promise<void> {
    const { res } = ctx;
    for (const [name, value] of headers) res.setHeader(name, value);
    return next();
  };
}
