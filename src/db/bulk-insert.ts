import type { Client } from 'pg';
import type { CellValue, ColumnSchema } from '../catalogue/table-schema';
import { insertRows, physicalColumn } from './data-table';
import { dialectOf, type DbOrTrx } from './knex';
import { copyRows } from './pg-copy';

/**
 * The fast path for loading many rows into a data table inside an open transaction. On SQLite it
 * reuses prepared multi-row INSERT statements on the transaction's own better-sqlite3
 * connection (no SQL building or knex round trip per batch); on PostgreSQL it streams each batch
 * with `COPY … FROM STDIN` on the transaction's connection (src/db/pg-copy.ts).
 */

/** Appends row batches to one table; call reset() after the table was rebuilt. */
export interface BulkInserter {
  insert(rows: CellValue[][]): Promise<void>;
  reset(columns: ColumnSchema[]): void;
}

interface SqliteStatement {
  run(...params: unknown[]): unknown;
}
interface SqliteConnection {
  prepare(sql: string): SqliteStatement;
}

const tableNamePattern = /^raw_[0-9]+$/;
/** SQLite's default limit on bound parameters is 32,766; stay well below it. */
const sqliteMaxParams = 30000;
/** Rows per prepared statement: fewer, longer statements bind faster (about 10% over 200 rows). */
const sqliteMaxRowsPerStatement = 1000;

/** Opens a bulk inserter on a raw data table within the given transaction. */
export async function openBulkInserter(trx: DbOrTrx, table: string, initialColumns: ColumnSchema[]): Promise<BulkInserter> {
  if (!tableNamePattern.test(table)) throw new Error(`not a raw table name: ${table}`);
  let columns = initialColumns;
  if (dialectOf(trx) === 'pg') {
    // COPY needs the transaction's own connection; outside a transaction, plain INSERTs.
    const conn = 'isTransaction' in trx && trx.isTransaction ? ((await trx.client.acquireConnection()) as Client) : undefined;
    return {
      insert: (rows) => (conn ? copyRows(conn, table, columns, rows) : insertRows(trx, table, columns, rows)),
      reset: (c) => {
        columns = c;
      },
    };
  }
  const conn = (await trx.client.acquireConnection()) as SqliteConnection;
  const width = Math.max(1, columns.length);
  const perStatement = Math.max(1, Math.min(sqliteMaxRowsPerStatement, Math.floor(sqliteMaxParams / width)));
  const statements = new Map<number, SqliteStatement>();
  const statementFor = (rows: number): SqliteStatement => {
    let s = statements.get(rows);
    if (!s) {
      const names = columns.map((_, i) => `"${physicalColumn(i)}"`).join(', ');
      const tuple = `(${columns.map(() => '?').join(', ')})`;
      s = conn.prepare(`INSERT INTO "${table}" (${names}) VALUES ${Array.from({ length: rows }, () => tuple).join(', ')}`);
      statements.set(rows, s);
    }
    return s;
  };
  const params: Array<string | number | null> = [];
  return {
    async insert(rows) {
      const n = columns.length;
      for (let start = 0; start < rows.length; start += perStatement) {
        const count = Math.min(perStatement, rows.length - start);
        params.length = count * n;
        let k = 0;
        for (let r = start; r < start + count; r++) {
          const row = rows[r];
          for (let i = 0; i < n; i++) {
            const v = row[i] ?? null;
            params[k++] = typeof v === 'boolean' ? (v ? 1 : 0) : v;
          }
        }
        statementFor(count).run(params);
      }
    },
    reset(c) {
      columns = c;
      statements.clear();
    },
  };
}
