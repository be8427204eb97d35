import { normalizeEmail, type Role, StoreConflictError, type User, type UserRepository } from '@authlab/store';
import { invalidCredentials } from './errors.ts';
import type { LoginLimiter } from './login-limiter.ts';
import { checkNewPassword, legacyBcryptHash, normalizePassword, type PasswordHasher } from './passwords.ts';

export interface AuthenticatorDeps {
  users: UserRepository;
  hasher: PasswordHasher;
  limiter: LoginLimiter;
}

/**
 * Password sign-in shared by every mode: limits first, the same argon2 work whether or not the
 * account exists, the same `invalid_credentials` answer, and lazy migration of old hashes.
 *
 * @example
 * const user = await authenticator.login('alice@example.com', password, ctx.ip);
 */
export class Authenticator {
  readonly #deps: AuthenticatorDeps;

  constructor(deps: AuthenticatorDeps) {
    this.#deps = deps;
  }

  async login(email: string, password: string, ip: string): Promise<User> {
    const { users, hasher, limiter } = this.#deps;
    // Normalised once for the whole attempt: the password (400 before any hashing or counting)
    // for every argon2 or bcrypt step below, the email for the limiter's keys and the lookup.
    const secret = normalizePassword(password);
    const account = normalizeEmail(email);
    // Counted before the password is checked, so concurrent guesses cannot outrun the limits
    // (ASVS 4.0.3 V2.2.1); a failure simply keeps its point.
    const attempt = await limiter.reserve(ip, account);
    const found = await users.findByEmail(account);
    const user = found && !found.disabled ? found : null;
    // The same work for every failure, whichever kind of hash the account has or none.
    const result = await hasher.verifyLogin(user?.passwordHash ?? null, secret);
    if (!user || !result.ok) throw invalidCredentials();
    await attempt.succeeded();
    if (result.needsRehash) {
      // Only now do we hold the plaintext that matches: upgrade bcrypt / old argon2 to current argon2id.
      const passwordHash = await hasher.hash(secret);
      await users.setPasswordHash(user.id, passwordHash);
      return { ...user, passwordHash };
    }
    return user;
  }
}

export const DEMO_ACCOUNTS: ReadonlyArray<{ email: string; role: Role; legacy?: boolean }> = [
  { email: 'alice@example.com', role: 'user' },
  { email: 'bob@example.com', role: 'user' },
  { email: 'admin@example.com', role: 'admin' },
  { email: 'legacy@example.com', role: 'user', legacy: true },
];

/**
 * Seeds the demo accounts on an empty user store; `legacy@example.com` gets a bcrypt hash for the
 * migration lab. Resolves to the accounts created (none when the store had users).
 */
export async function seedDemoUsers(users: UserRepository, hasher: PasswordHasher, password: string): Promise<User[]> {
  if ((await users.count()) > 0) return [];
  checkNewPassword(password);
  const created: User[] = [];
  for (const account of DEMO_ACCOUNTS) {
    const passwordHash = account.legacy ? await legacyBcryptHash(password) : await hasher.hash(password);
    try {
      created.push(await users.create({ email: account.email, role: account.role, passwordHash }));
    } catch (error) {
      // Two instances starting at once on one Redis both see an empty store: the first one wins.
      if (!(error instanceof StoreConflictError)) throw error;
    }
  }
  return created;
}

/**
 * The demo accounts in the store that still accept `password` (the one printed in the README):
 * the server refuses to listen beyond loopback while there are any, whatever DEMO_PASSWORD says
 * now (they may have been seeded with the published one before it was changed).
 */
export async function demoAccountsAccepting(
  users: UserRepository,
  hasher: PasswordHasher,
  password: string,
): Promise<string[]> {
  const accepting: string[] = [];
  for (const { email } of DEMO_ACCOUNTS) {
    const user = await users.findByEmail(email);
    if (user && !user.disabled && (await hasher.verify(user.passwordHash, password)).ok) accepting.push(email);
  }
  return accepting;
}
