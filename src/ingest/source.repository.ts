import type { ColumnSchema } from '../catalogue/table-schema';
import { createDataTable } from '../db/data-table';
import type { DbOrTrx } from '../db/knex';

/**
 * Private raw sources: each upload of a dataset's data becomes a numbered source version held in
 * its own private table (`raw_<id>`). Nothing on the public side reads these.
 */

/** A stored source version. */
export interface SourceRecord {
  id: number;
  datasetId: number;
  version: number;
  tableName: string;
  filename: string;
  rowCount: number;
  columns: ColumnSchema[];
  createdBy: string;
  createdAt: string;
}

function fromRow(r: Record<string, unknown>): SourceRecord {
  return {
    id: Number(r.id),
    datasetId: Number(r.dataset_id),
    version: Number(r.version),
    tableName: String(r.table_name),
    filename: String(r.filename),
    rowCount: Number(r.row_count),
    columns: JSON.parse(String(r.columns_json)) as ColumnSchema[],
    createdBy: String(r.created_by),
    createdAt: String(r.created_at),
  };
}

/** Creates the next source version of a dataset and its empty private table. */
export async function createSource(
  db: DbOrTrx,
  s: { datasetId: number; columns: ColumnSchema[]; filename: string; createdBy: string },
): Promise<SourceRecord> {
  const row = (await db('sources').where({ dataset_id: s.datasetId }).max({ v: 'version' }).first()) as { v: number | null } | undefined;
  const version = Number(row?.v ?? 0) + 1;
  const placeholder = `pending_${process.pid}_${Date.now()}_${Math.random().toString(36).slice(2)}`;
  const [inserted] = await db('sources')
    .insert({
      dataset_id: s.datasetId,
      version,
      table_name: placeholder,
      filename: s.filename,
      row_count: 0,
      columns_json: JSON.stringify(s.columns),
      created_by: s.createdBy,
      created_at: new Date().toISOString(),
    })
    .returning('id');
  const id = Number(typeof inserted === 'object' ? inserted.id : inserted);
  const tableName = `raw_${id}`;
  await db('sources').where({ id }).update({ table_name: tableName });
  await createDataTable(db, tableName, s.columns);
  return (await getSource(db, id)) as SourceRecord;
}

/** Records the final row count of a source after its rows were loaded. */
export async function setSourceRowCount(db: DbOrTrx, id: number, rowCount: number): Promise<void> {
  await db('sources').where({ id }).update({ row_count: rowCount });
}

/** One source version by id. */
export async function getSource(db: DbOrTrx, id: number): Promise<SourceRecord | undefined> {
  const row = await db('sources').where({ id }).first();
  return row ? fromRow(row) : undefined;
}

/** The newest source version of a dataset. */
export async function latestSource(db: DbOrTrx, datasetId: number): Promise<SourceRecord | undefined> {
  const row = await db('sources').where({ dataset_id: datasetId }).orderBy('version', 'desc').first();
  return row ? fromRow(row) : undefined;
}
