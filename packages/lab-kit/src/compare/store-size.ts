/**
 * What the server keeps in its SQLite file, read beside the running server (WAL lets a reader in):
 * rows and bytes per table, with the OpenID Provider's records split by model.
 */
import { DatabaseSync } from 'node:sqlite';

export interface TableSize {
  rows: number;
  /** Record bytes in the table's b-tree and its indexes' (dbstat `payload`), or the column bytes. */
  bytes: number;
  /** The bytes of the values alone: SUM(LENGTH(CAST(column AS BLOB))) over every column. */
  valueBytes: number;
  /** For kinds of record with an expiry: how long the newest one is kept from now, in ms. */
  keptForMs?: number;
}

export interface StoreSnapshot {
  /** `dbstat` (record payload incl. indexes) or `length` (values only, no dbstat in this SQLite). */
  method: 'dbstat' | 'length';
  /** By table, plus `table:model` entries for tables that hold several kinds of record. */
  tables: Record<string, TableSize>;
}

const quoteId = (name: string) => `"${name.replaceAll('"', '""')}"`;

export function snapshotStore(dbPath: string): StoreSnapshot {
  const db = new DatabaseSync(dbPath, { readOnly: true });
  try {
    const objects = db
      .prepare("SELECT name, type, tbl_name FROM sqlite_master WHERE name NOT LIKE 'sqlite_stat%'")
      .all() as Array<{ name: string; type: string; tbl_name: string }>;
    const tables = objects.filter((o) => o.type === 'table' && !o.name.startsWith('sqlite_')).map((o) => o.name);
    const ownerOf = new Map(objects.map((o) => [o.name, o.tbl_name]));

    let payloadByTable: Map<string, number> | null = new Map();
    try {
      const pages = db.prepare('SELECT name, payload FROM dbstat WHERE aggregate = TRUE').all() as Array<{
        name: string;
        payload: number;
      }>;
      for (const page of pages) {
        const table = ownerOf.get(page.name) ?? page.name;
        payloadByTable.set(table, (payloadByTable.get(table) ?? 0) + Number(page.payload));
      }
    } catch {
      payloadByTable = null; // SQLite built without SQLITE_ENABLE_DBSTAT_VTAB
    }

    const result: Record<string, TableSize> = {};
    for (const table of tables) {
      const columns = (db.prepare(`PRAGMA table_info(${quoteId(table)})`).all() as Array<{ name: string }>).map(
        (c) => c.name,
      );
      const valueSum = columns.map((c) => `COALESCE(SUM(LENGTH(CAST(${quoteId(c)} AS BLOB))), 0)`).join(' + ');
      const totals = db.prepare(`SELECT COUNT(*) AS rows, ${valueSum} AS bytes FROM ${quoteId(table)}`).get() as {
        rows: number;
        bytes: number;
      };
      result[table] = {
        rows: Number(totals.rows),
        valueBytes: Number(totals.bytes),
        bytes: payloadByTable ? (payloadByTable.get(table) ?? 0) : Number(totals.bytes),
      };
      if (columns.includes('model')) {
        const expiry = columns.includes('expires_at') ? 'MAX(expires_at)' : 'NULL';
        const byModel = db
          .prepare(
            `SELECT model, COUNT(*) AS rows, ${valueSum} AS bytes, ${expiry} AS expiry FROM ${quoteId(table)} GROUP BY model`,
          )
          .all() as Array<{ model: string; rows: number; bytes: number; expiry: number | null }>;
        for (const group of byModel) {
          const expiry = group.expiry === null ? null : Number(group.expiry);
          result[`${table}:${group.model}`] = {
            rows: Number(group.rows),
            valueBytes: Number(group.bytes),
            bytes: Number(group.bytes),
            // The store keeps milliseconds; seconds would be a much smaller number.
            ...(expiry === null ? {} : { keptForMs: (expiry < 1e11 ? expiry * 1000 : expiry) - Date.now() }),
          };
        }
      }
    }
    return { method: payloadByTable ? 'dbstat' : 'length', tables: result };
  } finally {
    db.close();
  }
}

/** The growth between two snapshots, table by table (tables that did not change are left out). */
export function storeGrowth(before: StoreSnapshot, after: StoreSnapshot): Record<string, TableSize> {
  const names = new Set([...Object.keys(before.tables), ...Object.keys(after.tables)]);
  const growth: Record<string, TableSize> = {};
  for (const name of [...names].sort()) {
    const a = before.tables[name] ?? { rows: 0, bytes: 0, valueBytes: 0 };
    const b = after.tables[name] ?? { rows: 0, bytes: 0, valueBytes: 0 };
    const delta: TableSize = {
      rows: b.rows - a.rows,
      bytes: b.bytes - a.bytes,
      valueBytes: b.valueBytes - a.valueBytes,
      ...(b.keptForMs === undefined ? {} : { keptForMs: b.keptForMs }),
    };
    if (delta.rows !== 0 || delta.bytes !== 0 || delta.valueBytes !== 0) growth[name] = delta;
  }
  return growth;
}
