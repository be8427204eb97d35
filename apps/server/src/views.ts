import type { SessionRecord, User } from '@authlab/store';

/** The public face of an account: never the hash, never the disabled flag's internals. */
export const publicUser = (user: User) => ({ id: user.id, email: user.email, role: user.role });

const iso = (ms: number) => new Date(ms).toISOString();

/** A session list item: the public handle, never the cookie value or its hash. */
export const sessionView = (record: SessionRecord, currentHandle: string | undefined) => ({
  id: record.handle,
  current: record.handle === currentHandle,
  createdAt: iso(record.createdAt),
  lastSeenAt: iso(record.lastSeenAt),
  userAgent: record.userAgent,
  ip: record.ip,
});
