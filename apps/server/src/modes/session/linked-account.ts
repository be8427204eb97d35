import { StoreConflictError, type User } from '@authlab/store';
import * as client from 'openid-client';
import type { AppDeps } from '../../deps.ts';
import { FederationError } from './federation-error.ts';
import type { Upstream } from './upstream-client.ts';

/** The verified email of the ID token, or of UserInfo when the ID token carries none. */
async function emailClaims(configuration: client.Configuration, access: string, claims: client.IDToken) {
  if (claims.email !== undefined || claims.email_verified !== undefined) {
    return { email: claims.email, verified: claims.email_verified };
  }
  try {
    const info = await client.fetchUserInfo(configuration, access, claims.sub);
    return { email: info.email, verified: info.email_verified };
  } catch (error) {
    throw new FederationError('oidc_failed', 'the UserInfo request failed', { cause: error });
  }
}

/**
 * The local account of a verified identity. Our own provider names accounts by user id; for any
 * other issuer a stored (issuer, subject) link decides, and the first sign-in links by an email
 * the provider has verified, to an account that already exists. Accounts are never created here:
 * an instructor adds them (`pnpm users add`), so an open provider cannot mint accounts.
 */
export async function linkedAccount(
  deps: AppDeps,
  upstream: Upstream,
  configuration: client.Configuration,
  tokens: { access_token: string; claims(): client.IDToken | undefined },
): Promise<User> {
  const claims = tokens.claims();
  if (!claims) throw new FederationError('oidc_failed', 'no ID token');
  const noAccount = () => new FederationError('oidc_no_account', 'no account matches this identity');
  const { users, identities } = deps.store;
  const existing = async (id: string) => {
    const user = await users.findById(id);
    if (!user) throw noAccount();
    return user;
  };
  if (upstream.builtIn) return existing(claims.sub);

  const linkedId = await identities.find(claims.iss, claims.sub);
  if (linkedId) return existing(linkedId);

  const { email, verified } = await emailClaims(configuration, tokens.access_token, claims);
  // An unverified address is only a claim: linking by it would hand the account to whoever typed it.
  // Providers that never assert it (Entra ID) are linked by an operator instead: `pnpm users link`.
  if (verified !== true || typeof email !== 'string') {
    throw new FederationError('oidc_no_account', 'no link, and no verified email to link by', {
      detail: {
        issuer: claims.iss,
        subject: claims.sub,
        email_verified: String(verified),
        hint: `an operator can link it: pnpm users link <email> ${claims.iss} ${claims.sub}`,
      },
    });
  }
  const user = await users.findByEmail(email);
  if (!user) throw noAccount();
  if (user.disabled) return user; // refused by the caller, and not worth a link
  try {
    await identities.link(claims.iss, claims.sub, user.id);
  } catch (error) {
    if (!(error instanceof StoreConflictError)) throw error;
    throw new FederationError('oidc_link_conflict', 'the account is linked to another identity at this issuer');
  }
  return user;
}
