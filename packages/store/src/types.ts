/** Milliseconds since the epoch. Injected wherever expiry matters so tests never sleep. */
export type Clock = () => number;

export const systemClock: Clock = () => Date.now();

export type Role = 'user' | 'admin';

export interface User {
  id: string;
  email: string;
  role: Role;
  passwordHash: string;
  disabled: boolean;
  createdAt: number;
}

export interface NewUser {
  email: string;
  role: Role;
  passwordHash: string;
}

export interface Note {
  id: string;
  ownerId: string;
  text: string;
  createdAt: number;
}

/**
 * A server-side login session. It is stored under the SHA-256 of the cookie value, so a leaked
 * database holds no usable cookie; `handle` is the public id shown in session lists.
 */
export interface SessionRecord {
  handle: string;
  userId: string;
  createdAt: number;
  lastSeenAt: number;
  /** Absolute end of validity: min(createdAt + absolute TTL, lastSeenAt + idle TTL). */
  expiresAt: number;
  userAgent: string;
  ip: string;
}

export interface UserRepository {
  /** Fails with `StoreConflictError` when the email is taken (case-insensitive). */
  create(user: NewUser): Promise<User>;
  findById(id: string): Promise<User | null>;
  findByEmail(email: string): Promise<User | null>;
  list(): Promise<User[]>;
  count(): Promise<number>;
  setPasswordHash(id: string, passwordHash: string): Promise<void>;
  setRole(id: string, role: Role): Promise<void>;
  setDisabled(id: string, disabled: boolean): Promise<void>;
}

export interface NoteRepository {
  create(ownerId: string, text: string): Promise<Note>;
  get(id: string): Promise<Note | null>;
  /** Newest first. */
  listByOwner(ownerId: string): Promise<Note[]>;
  delete(id: string): Promise<boolean>;
}

export interface SessionRepository {
  /** Inserts or replaces the session stored under `key` (the hash of the cookie value). */
  save(key: string, record: SessionRecord): Promise<void>;
  /** `null` when absent or expired at the store's clock. */
  get(key: string): Promise<SessionRecord | null>;
  /**
   * The live session under `key` and its account, read together (one round trip on Redis, where
   * a session request would otherwise wait for two in a row). `user` is `null` when the account
   * no longer exists; the whole answer is `null` when the session is absent or expired.
   */
  getWithUser(key: string): Promise<{ record: SessionRecord; user: User | null } | null>;
  touch(key: string, lastSeenAt: number, expiresAt: number): Promise<void>;
  delete(key: string): Promise<void>;
  /** The user's live sessions, oldest first, each with its storage key. */
  listByUser(userId: string): Promise<Array<{ key: string; record: SessionRecord }>>;
  /** Deletes every session of the user; resolves to how many there were. */
  deleteByUser(userId: string): Promise<number>;
}

/** Why a refresh family ended (kept for the device list and for debugging a replay). */
export type RevokeReason = 'logout' | 'logout_all' | 'device_revoked' | 'reuse_detected' | 'disabled';

/**
 * The JWT mode's per-device refresh-token family (RFC 9700 §4.14.2): every refresh token a device
 * ever held belongs to one family; replaying a rotated one revokes the family.
 */
export interface RefreshFamily {
  id: string;
  userId: string;
  /** The device name the client gave at login, e.g. "alice's laptop". */
  name: string;
  userAgent: string;
  ip: string;
  createdAt: number;
  lastUsedAt: number;
  /** min(lastUsedAt + idle TTL, absoluteExpiresAt): rotation moves it, never past the absolute end. */
  idleExpiresAt: number;
  absoluteExpiresAt: number;
  revokedAt: number | null;
  revokedReason: RevokeReason | null;
}

export type NewRefreshFamily = Omit<RefreshFamily, 'revokedAt' | 'revokedReason'>;

export type RotateOutcome =
  /** The token was live: it is now spent, `nextHash` is the family's live token. */
  | { outcome: 'rotated'; family: RefreshFamily }
  /** The token had already been rotated: a replay. The whole family is now revoked. */
  | { outcome: 'reused'; family: RefreshFamily }
  /**
   * The token had already been rotated, but within its grace window and while its successor is
   * still unused and the family live: an honest retry whose first answer was lost. Nothing
   * changed; `sealedSuccessor` is what that rotation stored (see `RotationGrace`).
   */
  | { outcome: 'replayed'; family: RefreshFamily; sealedSuccessor: string }
  /** Unknown token, or its family is revoked or expired. */
  | { outcome: 'invalid' };

/**
 * What a rotation keeps so that the same token presented again within `windowMs` returns the same
 * successor instead of counting as reuse. `sealedSuccessor` is the successor token sealed with a
 * key only the presented token yields: the store never holds a usable token.
 */
export interface RotationGrace {
  sealedSuccessor: string;
  windowMs: number;
}

export interface RefreshTokenRepository {
  /** Creates a family whose first live token is `tokenHash` (the SHA-256 of the token). */
  createFamily(family: NewRefreshFamily, tokenHash: string): Promise<void>;
  /**
   * Atomically spends `tokenHash` and makes `nextHash` the live token: of any number of concurrent
   * calls with the same token at most one gets `rotated` (a SQLite transaction; one Lua script on
   * Redis). `idleTtlMs` moves the family's idle expiry. The others see `reused` and the family is
   * revoked — unless the winning rotation was given a `grace`: then, until `now + windowMs` and
   * while `nextHash` is unspent and the family live, they see `replayed` with the one successor
   * (so concurrent retries converge), and nothing changes. A spent token presented after that,
   * or once its successor was used, is `reused` (RFC 9700 §4.14.2).
   */
  rotate(
    tokenHash: string,
    nextHash: string,
    now: number,
    idleTtlMs: number,
    grace?: RotationGrace,
  ): Promise<RotateOutcome>;
  /** The family a token (live or already rotated) belongs to, revoked or not; null if unknown. */
  findFamilyByToken(tokenHash: string): Promise<RefreshFamily | null>;
  getFamily(id: string): Promise<RefreshFamily | null>;
  /** The user's live families (not revoked, not expired at `now`), oldest first. */
  listFamilies(userId: string, now: number): Promise<RefreshFamily[]>;
  /** Resolves true when the family was live and is now revoked. */
  revokeFamily(id: string, now: number, reason: RevokeReason): Promise<boolean>;
  /** Revokes every live family of the user; resolves to how many. */
  revokeAllFamilies(userId: string, now: number, reason: RevokeReason): Promise<number>;
  /** Access tokens of this user issued before this time (ms) are dead (logout-all, disable). */
  setRevokedBefore(userId: string, at: number): Promise<void>;
  /** 0 when never set. */
  getRevokedBefore(userId: string): Promise<number>;
}

/**
 * One stored object of the OpenID Provider (oidc-provider's adapter payloads: codes, refresh
 * tokens, grants, sessions, interactions, …), kept opaque here. `id` is the provider's id; for
 * bearer values (codes, refresh tokens) the caller passes a hash, never the value itself.
 */
export interface OidcRecord {
  payload: Record<string, unknown>;
  /** ms; the record is gone for every read at or after this time (the injected clock decides). */
  expiresAt: number;
  /** ms when consumed, or null. */
  consumedAt: number | null;
}

/** Secondary keys a record can be found or revoked by. */
export interface OidcIndex {
  grantId?: string;
  uid?: string;
  userCode?: string;
  /**
   * Only on the {@link ACCOUNT_MODELS} (grants and the provider's sign-in sessions): lets "sign
   * out everywhere" find every grant and provider session of an account.
   */
  accountId?: string;
}

/** The provider's records an account can be found by: its grants and its sign-in sessions. */
export const ACCOUNT_MODELS = ['Grant', 'Session'] as const;
export type AccountModel = (typeof ACCOUNT_MODELS)[number];

export type ConsumeOutcome =
  | { outcome: 'consumed'; record: OidcRecord }
  /** Someone consumed it before: a replay (the caller revokes the grant). */
  | { outcome: 'already_consumed'; record: OidcRecord }
  | { outcome: 'missing' };

export interface OidcRepository {
  upsert(model: string, id: string, record: OidcRecord, index: OidcIndex): Promise<void>;
  /** null when absent or expired at the store's clock. */
  find(model: string, id: string): Promise<OidcRecord | null>;
  findByUid(model: string, uid: string): Promise<{ id: string; record: OidcRecord } | null>;
  findByUserCode(model: string, userCode: string): Promise<{ id: string; record: OidcRecord } | null>;
  /**
   * Atomic check-and-set: marks the record consumed unless it already was. Of any number of
   * concurrent calls for one id exactly one sees `consumed`.
   */
  consume(model: string, id: string, now: number): Promise<ConsumeOutcome>;
  destroy(model: string, id: string): Promise<void>;
  /** Destroys every record (any model) indexed with this grant id. */
  revokeByGrantId(grantId: string): Promise<void>;
  /** Ids of the account's live records of `model` (its grants, or its provider sessions), sorted. */
  idsOfAccount(model: AccountModel, accountId: string): Promise<string[]>;
}

/**
 * Federated sign-in: an identity at an external OpenID Provider, named by (issuer, subject) — the
 * only pair OpenID Connect Core §5.7 promises is stable and unique — linked to a local account.
 * At most one subject per issuer and account, so an email address reassigned at the provider to
 * someone new (a new subject) cannot be linked to the account its previous holder had.
 */
export interface IdentityRepository {
  /**
   * Resolves once linked (also when it already was, to this account). Rejects with
   * `StoreConflictError` when the subject is linked to another account, or the account to another
   * subject at this issuer.
   */
  link(issuer: string, subject: string, userId: string): Promise<void>;
  /** The linked account's id, or null. */
  find(issuer: string, subject: string): Promise<string | null>;
  /**
   * Removes the account's link at `issuer` (at most one, see above) and resolves to the subject
   * it held, or null when there was none. Afterwards that subject can be linked again, to any
   * account.
   */
  unlink(issuer: string, userId: string): Promise<string | null>;
}

/** One rate-limit counter: a fixed window that opens with the first attempt counted in it. */
export interface AttemptBucket {
  key: string;
  /** Attempts the window allows; `null` counts without ever refusing (a slow-down counter). */
  limit: number | null;
  windowMs: number;
}

export type AttemptReservation =
  /** One attempt was counted in every bucket; `counts[i]` is bucket i's count including it. */
  | { granted: true; counts: number[] }
  /** A bucket was full: nothing was counted; the fullest one reopens in `retryAfterMs`. */
  | { granted: false; retryAfterMs: number };

/**
 * Counters for login limits, shared by every instance on the store. `reserve` checks and counts
 * in one step (a SQLite write transaction; one Lua script on Redis), so N concurrent attempts can
 * never all see room under a limit and all go ahead. Windows are judged by the store's clock.
 */
export interface AttemptCounterRepository {
  /** All or nothing: counts one attempt in every bucket, unless one with a limit is full. */
  reserve(buckets: ReadonlyArray<AttemptBucket>): Promise<AttemptReservation>;
  /** Takes one counted attempt back from each key (a refund), never below zero. */
  release(keys: ReadonlyArray<string>): Promise<void>;
  /** Forgets the keys' counts. */
  clear(keys: ReadonlyArray<string>): Promise<void>;
}

/**
 * An access token's standing at this instant: its refresh family (owner and revocation), the
 * user's "revoked before" mark (ms, 0 when never set), and the account.
 */
export interface AccessTokenStanding {
  user: User;
  /** `null` when the family is unknown (never created, or swept after it expired). */
  family: { userId: string; revokedAt: number | null } | null;
  revokedBefore: number;
}

/**
 * The reads a Bearer request makes on every request (revocation is never cached), each answered
 * in one store read: one SQLite statement (every read transaction takes and releases the file's
 * locks, so three reads cost three times that), one round trip on Redis.
 */
export interface CredentialChecks {
  /** Family `familyId`, and `userId`'s revoked-before mark and account; `null` when there is no such account. */
  accessToken(familyId: string, userId: string): Promise<AccessTokenStanding | null>;
  /**
   * The provider's live `Grant` record `grantId` and the account `userId` (`null` when there is
   * no such account); the whole answer is `null` when the grant is absent or expired.
   */
  oidcGrant(grantId: string, userId: string): Promise<{ grant: OidcRecord; user: User | null } | null>;
}

export interface Store {
  readonly kind: 'sqlite' | 'redis';
  readonly users: UserRepository;
  readonly notes: NoteRepository;
  readonly sessions: SessionRepository;
  readonly refreshTokens: RefreshTokenRepository;
  readonly oidc: OidcRepository;
  readonly identities: IdentityRepository;
  readonly attempts: AttemptCounterRepository;
  readonly credentialChecks: CredentialChecks;
  /** Resolves when the store answers; rejects with `StoreUnavailableError` otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** The store cannot be reached. The HTTP layer answers 503: fail closed, never a free pass. */
export class StoreUnavailableError extends Error {
  readonly code = 'store_unavailable';
  constructor(message = 'the store is unreachable', options?: ErrorOptions) {
    super(message, options);
    this.name = 'StoreUnavailableError';
  }
}

export class StoreConflictError extends Error {
  readonly code = 'conflict';
  constructor(message: string) {
    super(message);
    this.name = 'StoreConflictError';
  }
}

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}
