import type { Client } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { CellValue, ColumnSchema } from '../catalogue/table-schema';
import { physicalColumn } from './data-table';

/**
 * PostgreSQL's fast path for loading rows: `COPY … FROM STDIN` in the text format, on the
 * connection of the caller's transaction (so the rows commit or roll back with everything else).
 * Stores exactly what a multi-row INSERT of the same values stores (see `insertRows`).
 */

const tableNamePattern = /^raw_[0-9]+$/;
/** Characters of COPY text sent per write. */
const writeChars = 1 << 20;
const special = /[\\\t\n\r]/;
const specialAll = /[\\\t\n\r]/g;
const escapes: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** One value in COPY's text format: \N for null, t/f for booleans, backslash escapes in text. */
function copyValue(v: CellValue | undefined, column: ColumnSchema): string {
  if (v === null || v === undefined) return '\\N';
  if (column.type === 'boolean') return (typeof v === 'boolean' ? v : v === 'true' || v === 1) ? 't' : 'f';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') return String(v);
  return special.test(v) ? v.replace(specialAll, (c) => escapes[c]) : v;
}

/** Appends rows (arrays in column order) to a raw data table with one COPY. */
export async function copyRows(conn: Client, table: string, columns: ColumnSchema[], rows: CellValue[][]): Promise<void> {
  if (!tableNamePattern.test(table)) throw new Error(`not a raw table name: ${table}`);
  if (rows.length === 0) return;
  const names = columns.map((_, i) => `"${physicalColumn(i)}"`).join(', ');
  const stream = conn.query(copyFrom(`COPY "${table}" (${names}) FROM STDIN`));
  const done = new Promise<void>((resolve, reject) => {
    stream.on('error', reject);
    stream.on('finish', resolve);
  });
  // A rejection before we wait for `done` must not go unhandled.
  done.catch(() => undefined);
  const n = columns.length;
  let text = '';
  for (const row of rows) {
    for (let i = 0; i < n; i++) text += (i ? '\t' : '') + copyValue(row[i], columns[i]);
    text += '\n';
    if (text.length >= writeChars) {
      const more = stream.write(text);
      text = '';
      if (!more) await Promise.race([new Promise((resolve) => stream.once('drain', resolve)), done]);
    }
  }
  stream.end(text);
  await done;
}
