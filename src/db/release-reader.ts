import type { CellValue, ColumnSchema } from '../catalogue/table-schema';
import { dialectOf, type Db } from './knex';
import { physicalColumn } from './data-table';
import { readOnlyConnectionOf, type ReadOnlySqlite, type ReadOnlyStatement } from './sqlite-client';

/** A pooled better-sqlite3 connection, as far as these reads use it. */
interface RawConnection { prepare(sql: string): ReadOnlyStatement }

/**
 * Fast, bounded reads of published release tables for downloads, the API and CKAN's
 * datastore_search. Every read is a sequence of keyset batches (`_row`, or the sort column then
 * `_row`), each one short statement, so no connection or cursor is held while the response waits
 * for the client. SQLite uses better-sqlite3 prepared statements in raw (array) mode — on a file
 * database through a separate read-only connection (WAL lets it read while the pool writes);
 * PostgreSQL uses pg with `rowMode: 'array'`. Column names never reach SQL: columns are `c<i>`.
 */

/** Comparison operators a filter may use. */
export const filterOps = ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'contains', 'in', 'isnull'] as const;
export type FilterOp = (typeof filterOps)[number];

/** One condition on a column (by index into the release's columns); values are already typed. */
export interface RowFilter {
  column: number;
  op: FilterOp;
  value: CellValue | CellValue[];
}

/** What to read from a release table. */
export interface ReleaseRead {
  table: string;
  /** Every column of the release, in physical order. */
  columns: ColumnSchema[];
  /** Indices of the columns to return, in output order. */
  select: number[];
  filters: RowFilter[];
  /** Rows where any of these (text) columns contains the text (case-insensitive). */
  anyContains?: { columns: number[]; text: string };
  sort?: { column: number; desc: boolean };
  limit?: number;
  offset?: number;
  /** Prepend `_row` to every returned row (CKAN's `_id`). */
  withRowId?: boolean;
}

const tableNamePattern = /^rel_[0-9]+$/;

interface PgClient {
  query(q: { text: string; values: unknown[]; rowMode?: 'array' }): Promise<{ rows: unknown[][] }>;
}
interface KnexClientInternals {
  acquireConnection(): Promise<unknown>;
  releaseConnection(conn: unknown): Promise<void>;
}

const statementCaches = new WeakMap<object, Map<string, ReadOnlyStatement>>();

function prepared(conn: ReadOnlySqlite | RawConnection, sql: string): ReadOnlyStatement {
  let cache = statementCaches.get(conn);
  if (!cache) {
    cache = new Map();
    statementCaches.set(conn, cache);
  }
  let stmt = cache.get(sql);
  if (!stmt) {
    if (cache.size > 200) cache.clear();
    stmt = conn.prepare(sql).raw(true);
    cache.set(sql, stmt);
  }
  return stmt;
}

/** Runs one read statement and returns its rows as arrays. */
async function runArrays(db: Db, sql: string, params: unknown[]): Promise<unknown[][]> {
  const client = db.client as unknown as KnexClientInternals;
  if (dialectOf(db) === 'sqlite') {
    const ro = readOnlyConnectionOf(db);
    if (ro) return prepared(ro, sql).all(...params);
    const conn = (await client.acquireConnection()) as RawConnection;
    try {
      return prepared(conn, sql).all(...params);
    } finally {
      await client.releaseConnection(conn);
    }
  }
  let n = 0;
  const text = sql.replace(/\?/g, () => `$${++n}`);
  const conn = (await client.acquireConnection()) as PgClient;
  try {
    const result = await conn.query({ text, values: params, rowMode: 'array' });
    return result.rows;
  } finally {
    await client.releaseConnection(conn);
  }
}

/** A bound value in the form the driver stores (SQLite has no booleans). */
function bindValue(v: CellValue, sqlite: boolean): unknown {
  if (typeof v === 'boolean' && sqlite) return v ? 1 : 0;
  return v;
}

interface SqlParts {
  where: string[];
  params: unknown[];
}

function conditionSql(read: ReleaseRead, pg: boolean): SqlParts {
  const where: string[] = [];
  const params: unknown[] = [];
  const sqlite = !pg;
  const colExpr = (i: number) => {
    const c = physicalColumn(i);
    return pg && isText(read.columns[i]) ? `${c} COLLATE "C"` : c;
  };
  for (const f of read.filters) {
    const c = colExpr(f.column);
    const ops: Record<string, string> = { eq: '=', ne: '<>', gt: '>', gte: '>=', lt: '<', lte: '<=' };
    if (f.op === 'in') {
      const values = (f.value as CellValue[]).filter((v) => v !== null);
      if (values.length === 0) where.push('1 = 0');
      else {
        where.push(`${c} IN (${values.map(() => '?').join(', ')})`);
        params.push(...values.map((v) => bindValue(v, sqlite)));
      }
    } else if (f.op === 'isnull') {
      where.push(`${physicalColumn(f.column)} IS ${f.value ? '' : 'NOT '}NULL`);
    } else if (f.op === 'contains') {
      where.push(containsSql(physicalColumn(f.column), pg));
      params.push(String(f.value));
    } else {
      where.push(`${c} ${ops[f.op]} ?`);
      params.push(bindValue(f.value as CellValue, sqlite));
    }
  }
  if (read.anyContains && read.anyContains.columns.length) {
    where.push('(' + read.anyContains.columns.map((i) => containsSql(physicalColumn(i), pg)).join(' OR ') + ')');
    for (let k = 0; k < read.anyContains.columns.length; k++) params.push(read.anyContains.text);
  }
  return { where, params };
}

function containsSql(column: string, pg: boolean): string {
  return pg ? `strpos(lower(${column}), lower(?)) > 0` : `instr(lower(${column}), lower(?)) > 0`;
}

function isText(c: ColumnSchema): boolean {
  return c.type === 'string' || c.type === 'date' || c.type === 'datetime';
}

/** Converts stored values of a returned row in place (pg int8 → number, SQLite 0/1 → boolean). */
function converters(read: ReleaseRead, pg: boolean): Array<((v: unknown) => CellValue) | null> {
  const out: Array<((v: unknown) => CellValue) | null> = read.withRowId ? [(v) => Number(v)] : [];
  for (const i of read.select) {
    const t = read.columns[i].type;
    if (t === 'boolean') out.push((v) => (v === null || v === undefined ? null : v === true || v === 1 || v === '1' || v === 't'));
    else if ((t === 'integer' || t === 'number') && pg) out.push((v) => (v === null || v === undefined ? null : Number(v)));
    else out.push(null);
  }
  return out;
}

function assertRead(read: ReleaseRead): void {
  if (!tableNamePattern.test(read.table)) throw new Error(`not a release table: ${read.table}`);
  const n = read.columns.length;
  const bad = (i: number) => !Number.isInteger(i) || i < 0 || i >= n;
  if (read.select.some(bad) || read.filters.some((f) => bad(f.column)) || (read.sort && bad(read.sort.column))) {
    throw new Error('column index out of range');
  }
}

/**
 * Rows a batch holds: about 8,000 cells, between 250 and 5,000 rows. Small batches die young in
 * V8's nursery instead of being promoted, which matters more for speed than statement count.
 */
export function defaultBatchSize(columnCount: number): number {
  return Math.max(250, Math.min(5000, Math.floor(8000 / Math.max(1, columnCount))));
}

/**
 * Reads the selected rows in keyset batches. Stop iterating (break / return) and no further
 * statement runs: that is how a download stops when its client goes away.
 */
export async function* readReleaseBatches(db: Db, read: ReleaseRead, batchSize = defaultBatchSize(read.select.length)): AsyncGenerator<CellValue[][]> {
  assertRead(read);
  const pg = dialectOf(db) === 'pg';
  const base = conditionSql(read, pg);
  // Row layout: [_row if asked] + selected columns + _row (the key) + [sort value].
  const width = (read.withRowId ? 1 : 0) + read.select.length;
  const selectList = [...(read.withRowId ? ['_row'] : []), ...read.select.map(physicalColumn), '_row'];
  const sortCol = read.sort ? physicalColumn(read.sort.column) : undefined;
  if (sortCol) selectList.push(sortCol);
  const conv = converters(read, pg);
  const sortExpr = read.sort && sortCol ? (pg && isText(read.columns[read.sort.column]) ? `${sortCol} COLLATE "C"` : sortCol) : undefined;
  const dir = read.sort?.desc ? 'DESC' : 'ASC';
  const cmp = read.sort?.desc ? '<' : '>';

  let remaining = read.limit ?? Infinity;
  let offset = read.offset ?? 0;
  let lastRow = 0;
  let lastValue: unknown = undefined;
  // Sorted reads take the non-null values first, then the nulls in row order (nulls last either way).
  let phase: 'values' | 'nulls' = 'values';
  let first = true;
  for (;;) {
    if (remaining <= 0) return;
    const take = Math.min(batchSize, remaining);
    const where = [...base.where];
    const params = [...base.params];
    let order: string;
    if (!read.sort) {
      where.push('_row > ?');
      params.push(lastRow);
      order = '_row';
    } else if (phase === 'values') {
      where.push(`${sortCol} IS NOT NULL`);
      if (!first) {
        where.push(`(${sortExpr} ${cmp} ? OR (${sortExpr} = ? AND _row > ?))`);
        params.push(lastValue, lastValue, lastRow);
      }
      order = `${sortExpr} ${dir}, _row`;
    } else {
      where.push(`${sortCol} IS NULL`, '_row > ?');
      params.push(lastRow);
      order = '_row';
    }
    let sql = `SELECT ${selectList.join(', ')} FROM ${read.table} WHERE ${where.join(' AND ')} ORDER BY ${order} LIMIT ?`;
    params.push(take);
    if (offset > 0) {
      sql += ' OFFSET ?';
      params.push(offset);
    }
    const raw = await runArrays(db, sql, params);
    first = false;
    if (raw.length > 0) {
      const last = raw[raw.length - 1];
      lastRow = Number(last[width]);
      if (read.sort) lastValue = last[width + 1];
    }
    if (raw.length) {
      offset = 0;
      remaining -= raw.length;
      yield finishRows(raw, conv, width);
    } else if (offset > 0 && read.sort && phase === 'values') {
      // The offset skipped past every non-null value: carry the rest of it into the nulls.
      offset = Math.max(0, offset - (await countNonNull(db, read, base, sortCol!)));
      phase = 'nulls';
      lastRow = 0;
      continue;
    }
    if (raw.length < take) {
      if (read.sort && phase === 'values') {
        phase = 'nulls';
        lastRow = 0;
        continue;
      }
      return;
    }
  }
}

async function countNonNull(db: Db, read: ReleaseRead, base: SqlParts, sortCol: string): Promise<number> {
  const where = [...base.where, `${sortCol} IS NOT NULL`];
  const rows = await runArrays(db, `SELECT COUNT(*) FROM ${read.table} WHERE ${where.join(' AND ')}`, base.params);
  return Number(rows[0]?.[0] ?? 0);
}

function finishRows(raw: unknown[][], conv: Array<((v: unknown) => CellValue) | null>, width: number): CellValue[][] {
  const needsConv = conv.some((f) => f !== null);
  for (let r = 0; r < raw.length; r++) {
    const row = raw[r];
    row.length = width;
    if (needsConv) {
      for (let i = 0; i < width; i++) {
        const f = conv[i];
        if (f) row[i] = f(row[i]);
      }
    }
  }
  return raw as CellValue[][];
}

/** Number of rows matching a read's filters (limit and offset ignored). */
export async function countReleaseRows(db: Db, read: ReleaseRead): Promise<number> {
  assertRead(read);
  const base = conditionSql(read, dialectOf(db) === 'pg');
  const sql = `SELECT COUNT(*) FROM ${read.table}${base.where.length ? ' WHERE ' + base.where.join(' AND ') : ''}`;
  const rows = await runArrays(db, sql, base.params);
  return Number(rows[0]?.[0] ?? 0);
}
