import type { Context, Next } from 'koa';

/**
 * Pins what Koa tells the app about the request's origin — `host`, `hostname`, `protocol`,
 * `origin`, `href`, `secure` — to PUBLIC_URL. Koa derives them from the `Host` header, and with
 * `proxy` on from `X-Forwarded-Host`/`-Proto`, which any client can send; oidc-provider builds its
 * discovery document and its redirects from them. Pinned, a forged header cannot point a
 * client's token request or a person's browser at another host (host header poisoning, OWASP
 * WSTG-INPV-17; RFC 8414 §3.3: the metadata must name the issuer's own endpoints). The client's
 * address (`ctx.ip`, from `X-Forwarded-For` per TRUST_PROXY) is not touched.
 */
export function pinPublicOrigin(publicUrl: string) {
  const url = new URL(publicUrl);
  const pinned = {
    host: { value: url.host },
    hostname: { value: url.hostname },
    protocol: { value: url.protocol.slice(0, -1) },
    origin: { value: url.origin },
  } satisfies PropertyDescriptorMap;
  return function publicOrigin(ctx: Context, next: Next): Promise<void> {
    // Own properties shadow Koa's getters; `href` and `secure` read these.
    Object.defineProperties(ctx.request, pinned);
    return next();
  };
}
