import type { Knex } from 'knex';
import type { CellValue, ColumnSchema } from '../catalogue/table-schema';
import { ValidationError } from '../errors';
import { dialectOf, type DbOrTrx } from './knex';

/**
 * Physical storage of tabular data (raw sources and release tables). Column names from users never
 * become SQL identifiers: column i is stored as `c<i>`, and each table has `_row`, an integer key
 * that gives rows their order and lets readers page through them with keyset batches.
 */

const tableNamePattern = /^(raw|rel)_[0-9]+$/;

/** The physical identifier of the i-th column. */
export const physicalColumn = (i: number): string => `c${i}`;

function assertTableName(name: string): void {
  if (!tableNamePattern.test(name)) throw new Error(`not a data table name: ${name}`);
}

/** Creates an empty data table for the given columns. */
export async function createDataTable(db: DbOrTrx, name: string, columns: ColumnSchema[]): Promise<void> {
  assertTableName(name);
  await db.schema.createTable(name, (t) => {
    t.increments('_row').primary();
    columns.forEach((c, i) => {
      const id = physicalColumn(i);
      switch (c.type) {
        case 'integer':
          t.bigInteger(id);
          break;
        case 'number':
          t.double(id);
          break;
        case 'boolean':
          t.boolean(id);
          break;
        default:
          t.text(id);
      }
    });
  });
}

/** Drops a data table if it exists. */
export async function dropDataTable(db: DbOrTrx, name: string): Promise<void> {
  assertTableName(name);
  await db.schema.dropTableIfExists(name);
}

/** Most bound parameters per statement, below SQLite's 32,766 and PostgreSQL's 65,535. */
const maxParams = 30000;

/** Appends rows (arrays in column order) to a data table in as few statements as the limits allow. */
export async function insertRows(db: DbOrTrx, name: string, columns: ColumnSchema[], rows: CellValue[][]): Promise<void> {
  assertTableName(name);
  if (rows.length === 0) return;
  const nul = findNul(rows);
  if (nul) {
    // Error path only: rows are appended in order, so the rows already stored give the row number.
    const row = (await countRows(db, name)) + nul.row + 1;
    throw new ValidationError(`Row ${row}, column "${columns[nul.column]?.name ?? nul.column + 1}": the text contains a NUL character (U+0000), which Plaza does not store. Remove it from the file and try again.`, { row, column: columns[nul.column]?.name });
  }
  const byParams = Math.max(1, Math.floor(maxParams / Math.max(1, columns.length)));
  // knex writes a multi-row insert on SQLite as a compound SELECT, which SQLite caps at 500 terms.
  const perStatement = dialectOf(db) === 'sqlite' ? Math.min(500, byParams) : byParams;
  for (let start = 0; start < rows.length; start += perStatement) {
    const chunk = rows.slice(start, start + perStatement).map((row) => {
      const rec: Record<string, CellValue> = {};
      columns.forEach((c, i) => {
        rec[physicalColumn(i)] = toStorage(row[i] ?? null, c);
      });
      return rec;
    });
    await db(name).insert(chunk);
  }
}

/**
 * The first text cell holding U+0000, if any. PostgreSQL text cannot hold NUL, so data tables
 * refuse it on both engines (the same 400 everywhere, rather than a driver error on one of them).
 */
export function findNul(rows: CellValue[][]): { row: number; column: number } | undefined {
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r];
    for (let i = 0; i < row.length; i++) {
      const v = row[i];
      if (typeof v === 'string' && v.includes('\0')) return { row: r, column: i };
    }
  }
  return undefined;
}

function toStorage(v: CellValue, c: ColumnSchema): CellValue {
  if (v === null) return null;
  if (c.type === 'boolean') return typeof v === 'boolean' ? v : v === 'true' || v === 1;
  return v;
}

/** Converts a stored value back to its domain form (pg returns int8 as text, SQLite booleans as 0/1). */
export function fromStorage(v: unknown, c: ColumnSchema): CellValue {
  if (v === null || v === undefined) return null;
  switch (c.type) {
    case 'integer':
    case 'number':
      return typeof v === 'number' ? v : Number(v);
    case 'boolean':
      return v === true || v === 1 || v === '1' || v === 't';
    default:
      return String(v);
  }
}

/** Reads rows after a given `_row` in key order, at most `limit`, as arrays in column order. */
export async function readRowBatch(
  db: DbOrTrx,
  name: string,
  columns: ColumnSchema[],
  afterRow: number,
  limit: number,
): Promise<{ rows: CellValue[][]; lastRow: number }> {
  assertTableName(name);
  const records: Array<Record<string, unknown>> = await db(name)
    .select(['_row', ...columns.map((_, i) => physicalColumn(i))])
    .where('_row', '>', afterRow)
    .orderBy('_row')
    .limit(limit);
  const rows = records.map((r) => columns.map((c, i) => fromStorage(r[physicalColumn(i)], c)));
  const last = records.length ? Number(records[records.length - 1]._row) : afterRow;
  return { rows, lastRow: last };
}

/** Iterates every row of a data table in order, in keyset batches, without holding a connection. */
export async function* iterateRows(
  db: DbOrTrx,
  name: string,
  columns: ColumnSchema[],
  batchSize = 2000,
): AsyncGenerator<CellValue[][]> {
  let after = 0;
  for (;;) {
    const { rows, lastRow } = await readRowBatch(db, name, columns, after, batchSize);
    if (rows.length === 0) return;
    yield rows;
    if (rows.length < batchSize) return;
    after = lastRow;
  }
}

/** Number of rows in a data table. */
export async function countRows(db: DbOrTrx, name: string): Promise<number> {
  assertTableName(name);
  const [{ n }] = (await db(name).count({ n: '*' })) as Array<{ n: number | string }>;
  return Number(n);
}

/** True when the table exists (used by purge and by integrity checks). */
export async function dataTableExists(db: DbOrTrx, name: string): Promise<boolean> {
  assertTableName(name);
  return db.schema.hasTable(name);
}

/** Exposed for dialect-aware callers that need the raw Knex type. */
export type { Knex };
export { dialectOf };
