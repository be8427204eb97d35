/** Row 5: what the server keeps per signed-in user, measured in its SQLite file. */
import { join } from 'node:path';
import { signIn } from './http.ts';
import { fmtDuration, perMode, round1, type ScenarioContext } from './scenario.ts';
import { snapshotStore, storeGrowth } from './store-size.ts';
import type { Cell, Mode } from './types.ts';

/** Accounts and their notes are the product's data, not sign-in state. */
const ACCOUNT_TABLES = new Set(['users', 'notes', 'identities']);

export function serverStateRow(ctx: ScenarioContext): Promise<Record<Mode, Cell>> {
  const dbPath = join(ctx.main.dataDir, 'authlab.db');
  const users = ctx.accounts.slice(0, ctx.params.stateUsers);
  const source = (mode: Mode) =>
    `${users.length} distinct accounts signed in as ${mode} clients over HTTP, one sign-in each; the SQLite file (${dbPath.split('/').slice(-1)[0]}, read with node:sqlite beside the running server) ` +
    'before and after: rows (COUNT) and record bytes per table (dbstat payload, table and indexes; SUM(LENGTH) of the values as well), ' +
    'excluding the account tables (users, notes, identities); the growth divided by the number of accounts.';
  return perMode(source, async (mode) => {
    const before = snapshotStore(dbPath);
    for (const account of users) await signIn(ctx.main.url, mode, account.email, account.password);
    const after = snapshotStore(dbPath);
    const growth = storeGrowth(before, after);
    const tables = Object.entries(growth).filter(([name]) => !ACCOUNT_TABLES.has(name.split(':')[0] ?? ''));
    const whole = tables.filter(([name]) => !name.includes(':'));
    const rows = whole.reduce((sum, [, size]) => sum + size.rows, 0) / users.length;
    const bytes = whole.reduce((sum, [, size]) => sum + size.bytes, 0) / users.length;
    const valueBytes = whole.reduce((sum, [, size]) => sum + size.valueBytes, 0) / users.length;
    const perTable = tables.map(
      ([name, size]) =>
        `${name}: ${size.rows >= 0 ? '+' : ''}${round1(size.rows / users.length)} ${size.rows === users.length ? 'row' : 'rows'}, ${size.bytes >= 0 ? '+' : ''}${Math.round(size.bytes / users.length)} B` +
        (size.keptForMs === undefined ? '' : ` (kept ${fmtDuration(size.keptForMs)})`),
    );
    return {
      value: Math.round(bytes),
      unit: 'bytes',
      display: `${Math.round(bytes)} B in ${round1(rows)} ${rows === 1 ? 'row' : 'rows'} per user`,
      detail: `Per signed-in user: ${perTable.join('; ') || 'nothing'} (record bytes by ${after.method}; ${Math.round(valueBytes)} B of values).`,
      source: source(mode),
      facts: {
        users: users.length,
        method: after.method,
        rowsPerUser: round1(rows),
        bytesPerUser: Math.round(bytes),
        valueBytesPerUser: Math.round(valueBytes),
        tables: perTable,
      },
    };
  });
}
