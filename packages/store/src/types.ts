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
  touch(key: string, lastSeenAt: number, expiresAt: number): Promise<void>;
  delete(key: string): Promise<void>;
  /** The user's live sessions, oldest first, each with its storage key. */
  listByUser(userId: string): Promise<Array<{ key: string; record: SessionRecord }>>;
  /** Deletes every session of the user; resolves to how many there were. */
  deleteByUser(userId: string): Promise<number>;
}

export interface Store {
  readonly kind: 'sqlite' | 'redis';
  readonly users: UserRepository;
  readonly notes: NoteRepository;
  readonly sessions: SessionRepository;
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
