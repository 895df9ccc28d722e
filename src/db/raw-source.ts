import type { Knex } from 'knex';
import type { ColumnSchema } from '../catalogue/table-schema';
import { physicalColumn } from './data-table';
import { dialectOf, type DbOrTrx } from './knex';

/**
 * Dialect-specific operations on private raw source tables (`raw_<id>`) that imports need beyond
 * data-table.ts: widening a column to text in place, copying a previous version's rows for an
 * append, and dropping a purged table.
 */

const rawName = /^raw_[0-9]+$/;

function assertRaw(name: string): void {
  if (!rawName.test(name)) throw new Error(`not a raw table name: ${name}`);
}

function addColumn(t: Knex.CreateTableBuilder, c: ColumnSchema, i: number): void {
  const id = physicalColumn(i);
  if (c.type === 'integer') t.bigInteger(id);
  else if (c.type === 'number') t.double(id);
  else if (c.type === 'boolean') t.boolean(id);
  else t.text(id);
}

/**
 * Turns column `index` of a raw table into text, keeping the values already stored in their
 * normalised text form (12, 1.5, true, 2026-03-04). `columns` is the schema before the change.
 * PostgreSQL alters the column; SQLite, which cannot change a column's type, rebuilds the table
 * inside the same transaction.
 */
export async function widenColumnToText(trx: DbOrTrx, table: string, columns: ColumnSchema[], index: number): Promise<void> {
  assertRaw(table);
  const col = physicalColumn(index);
  const was = columns[index].type;
  if (dialectOf(trx) === 'pg') {
    const using = was === 'boolean' ? `CASE WHEN "${col}" THEN 'true' WHEN NOT "${col}" THEN 'false' END` : `"${col}"::text`;
    await trx.raw(`ALTER TABLE "${table}" ALTER COLUMN "${col}" TYPE text USING ${using}`);
    return;
  }
  const widened = columns.map((c, i) => (i === index ? { ...c, type: 'string' as const } : c));
  const tmp = `${table}_widen`;
  await trx.schema.dropTableIfExists(tmp);
  await trx.schema.createTable(tmp, (t) => {
    t.increments('_row').primary();
    widened.forEach((c, i) => addColumn(t, c, i));
  });
  const names = columns.map((_, i) => `"${physicalColumn(i)}"`);
  const select = columns.map((_, i) => {
    const p = `"${physicalColumn(i)}"`;
    if (i !== index) return p;
    if (was === 'boolean') return `CASE WHEN ${p} = 1 THEN 'true' WHEN ${p} = 0 THEN 'false' END`;
    return `CAST(${p} AS TEXT)`;
  });
  await trx.raw(`INSERT INTO "${tmp}" ("_row", ${names.join(', ')}) SELECT "_row", ${select.join(', ')} FROM "${table}" ORDER BY "_row"`);
  await trx.schema.dropTable(table);
  await trx.raw(`ALTER TABLE "${tmp}" RENAME TO "${table}"`);
}

/** Copies every row of one raw table into another with the same columns, in order, inside the database. */
export async function copyRawRows(trx: DbOrTrx, from: string, to: string, columnCount: number): Promise<number> {
  assertRaw(from);
  assertRaw(to);
  const names = Array.from({ length: columnCount }, (_, i) => `"${physicalColumn(i)}"`).join(', ');
  await trx.raw(`INSERT INTO "${to}" (${names}) SELECT ${names} FROM "${from}" ORDER BY "_row"`);
  const [{ n }] = (await trx(to).count({ n: '*' })) as Array<{ n: number | string }>;
  return Number(n);
}

/** Drops a raw table (purge). */
export async function dropRawTable(trx: DbOrTrx, table: string): Promise<void> {
  assertRaw(table);
  await trx.schema.dropTableIfExists(table);
}
