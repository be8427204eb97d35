import { timingSafeEqual } from 'node:crypto';
import type { Context } from 'koa';

/**
 * What an authorization-code round trip (the federated sign-in, the OIDC walkthrough) must get
 * back at its callback: PKCE verifier, state, nonce… carried in a signed, HttpOnly cookie, so the
 * server keeps no state for a flow that may never come back.
 */
export interface PendingFlowCookie<T extends { expiresAt: number }> {
  /** This browser's flow, or null for a missing or tampered-with cookie, or one without every field. */
  read(ctx: Context): T | null;
  write(ctx: Context, flow: T): void;
  /** Ends the flow: one answer per flow (no replay). */
  clear(ctx: Context): void;
}

export interface PendingFlowCookieOptions<T> {
  /** Without `__Secure-` (added where the cookie is Secure; `__Host-` would demand Path=/). */
  name: string;
  /** The flow's own routes, so the cookie goes nowhere else. */
  path: string;
  secure: boolean;
  ttlMs: number;
  /** The fields that must be strings in a cookie read back (besides the number `expiresAt`). */
  textFields: ReadonlyArray<keyof T & string>;
}

export function pendingFlowCookie<T extends { expiresAt: number }>(
  options: PendingFlowCookieOptions<T>,
): PendingFlowCookie<T> {
  const name = options.secure ? `__Secure-${options.name}` : options.name;
  const cookieOptions = {
    path: options.path,
    httpOnly: true,
    // Lax: the provider's redirect back is a top-level GET navigation, which must carry it.
    sameSite: 'lax' as const,
    secure: options.secure,
    // Signed with `app.keys`: the browser carries the flow but cannot change it.
    signed: true,
    overwrite: true,
  };
  const decode = (value: string | undefined): T | null => {
    if (!value) return null;
    try {
      const flow = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as Record<string, unknown>;
      const texts = options.textFields.every((key) => typeof flow[key] === 'string');
      return texts && typeof flow.expiresAt === 'number' ? (flow as unknown as T) : null;
    } catch {
      return null;
    }
  };
  return {
    read: (ctx) => decode(ctx.cookies.get(name, { signed: true })),
    write: (ctx, flow) =>
      ctx.cookies.set(name, Buffer.from(JSON.stringify(flow)).toString('base64url'), {
        ...cookieOptions,
        maxAge: options.ttlMs,
      }),
    clear: (ctx) => ctx.cookies.set(name, null, cookieOptions),
  };
}

/**
 * Compares a returned `state` with the stored one in constant time. Byte lengths, not character
 * counts: `timingSafeEqual` throws on buffers of different lengths, and "é" is one character but
 * two bytes (a 500 instead of `oidc_state_mismatch`).
 */
export const sameText = (a: string, b: string): boolean => {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
};
