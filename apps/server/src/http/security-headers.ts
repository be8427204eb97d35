import helmet from 'koa-helmet';

/**
 * Security headers on every response (helmet): a strict CSP with no inline script, no framing
 * (`frame-ancestors 'none'` against clickjacking), `nosniff`, a `same-origin` referrer policy so no URL
 * leaks to another site, and HSTS only where the site is really served over https.
 */
export function securityHeaders(https: boolean) {
  return helmet({
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
    referrerPolicy: { policy: 'same-origin' },
    xFrameOptions: { action: 'deny' },
    strictTransportSecurity: https ? { maxAge: 31_536_000, includeSubDomains: true } : false,
    crossOriginResourcePolicy: { policy: 'same-origin' },
  });
}
