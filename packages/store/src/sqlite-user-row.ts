import type { Role, User } from './types.ts';

/** A row of the `users` table. */
export interface UserRow {
  id: string;
  email: string;
  role: Role;
  password_hash: string;
  disabled: number;
  created_at: number;
}

export const toUser = (row: UserRow): User => ({
  id: row.id,
  email: row.email,
  role: row.role,
  passwordHash: row.password_hash,
  disabled: row.disabled === 1,
  createdAt: row.created_at,
});

const USER_COLUMNS = ['id', 'email', 'role', 'password_hash', 'disabled', 'created_at'] as const;

/**
 * The account `idExpression` names, as `user_<column>` columns of a row read with something else
 * (all null when there is no such account). Scalar subqueries rather than a join: with Node 24's
 * SQLite a statement with a join was prepared again on every run (seen with `perf`), and cost as
 * much as the separate reads it replaced.
 */
export const userColumnsOf = (idExpression: string): string =>
  USER_COLUMNS.map((column) => `(SELECT ${column} FROM users WHERE id = ${idExpression}) AS user_${column}`).join(', ');

/** The account of a row read with {@link userColumnsOf}, or null. */
export function userFromColumns(row: Record<string, unknown>): User | null {
  if (row.user_id === null || row.user_id === undefined) return null;
  return toUser({
    id: row.user_id as string,
    email: row.user_email as string,
    role: row.user_role as Role,
    password_hash: row.user_password_hash as string,
    disabled: row.user_disabled as number,
    created_at: row.user_created_at as number,
  });
}
