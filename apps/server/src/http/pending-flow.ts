import { timingSafeEqual } from 'node:crypto';

/**
 * What an authorization-code round trip (the federated sign-in, the OIDC walkthrough) must get
 * back at its callback: PKCE verifier, state, nonce… carried in a signed, HttpOnly cookie, so the
 * server keeps no state for a flow that may never come back.
 */
export interface PendingFlowCookie<T extends { expiresAt: number }> {
  encode(flow: T): string;
  /** The flow, or null for a missing value or one without every text field and `expiresAt`. */
  decode(value: string | undefined): T | null;
}

export function pendingFlowCookie<T extends { expiresAt: number }>(
  textFields: ReadonlyArray<keyof T & string>,
): PendingFlowCookie<T> {
  return {
    encode: (flow) => Buffer.from(JSON.stringify(flow)).toString('base64url'),
    decode(value) {
      if (!value) return null;
      try {
        const flow = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as Record<string, unknown>;
        const texts = textFields.every((key) => typeof flow[key] === 'string');
        return texts && typeof flow.expiresAt === 'number' ? (flow as unknown as T) : null;
      } catch {
        return null;
      }
    },
  };
}

/** Compares a returned `state` with the stored one in constant time. */
export const sameText = (a: string, b: string): boolean =>
  a.length === b.length && timingSafeEqual(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
