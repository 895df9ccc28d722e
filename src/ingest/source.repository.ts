import type { ColumnSchema } from '../catalogue/table-schema';
import { createDataTable } from '../db/data-table';
import type { DbOrTrx } from '../db/knex';
import type { FrictionlessSchema } from './frictionless';
import type { DetectionResult } from './pii-detect';

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
  /** How an import made this version from the one before. */
  mode: SourceMode;
  format: SourceFormat | null;
  byteSize: number | null;
  sha256: string | null;
  schema: FrictionlessSchema | null;
  detection: StoredDetection | null;
  warnings: string[];
  classificationStatus: 'suggested' | 'confirmed';
  classifiedBy: string | null;
  classifiedAt: string | null;
  purgedAt: string | null;
  purgedBy: string | null;
}

/** `replace`: the version holds only the uploaded rows; `append`: the previous version's rows, then the upload's. */
export type SourceMode = 'replace' | 'append';

/** The detected shape of an imported file. */
export interface SourceFormat {
  encoding: string;
  bom: boolean;
  compressed: boolean;
  delimiter: string;
}

/** Personal-data findings as stored: the detection result and how many rows it looked at. */
export interface StoredDetection extends DetectionResult {
  sampledRows: number;
}

const json = <T>(v: unknown, fallback: T): T => (v === null || v === undefined ? fallback : (JSON.parse(String(v)) as T));

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
    mode: (r.mode as SourceMode | undefined) ?? 'replace',
    format: json<SourceFormat | null>(r.format_json, null),
    byteSize: r.byte_size === null || r.byte_size === undefined ? null : Number(r.byte_size),
    sha256: (r.sha256 as string | null) ?? null,
    schema: json<FrictionlessSchema | null>(r.schema_json, null),
    detection: json<StoredDetection | null>(r.detection_json, null),
    warnings: json<string[]>(r.warnings_json, []),
    classificationStatus: r.classification_status === 'confirmed' ? 'confirmed' : 'suggested',
    classifiedBy: (r.classified_by as string | null) ?? null,
    classifiedAt: (r.classified_at as string | null) ?? null,
    purgedAt: (r.purged_at as string | null) ?? null,
    purgedBy: (r.purged_by as string | null) ?? null,
  };
}

/** Creates the next source version of a dataset and its empty private table. */
export async function createSource(
  db: DbOrTrx,
  s: { datasetId: number; columns: ColumnSchema[]; filename: string; createdBy: string; mode?: SourceMode },
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
      ...(s.mode ? { mode: s.mode } : {}),
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

/** What an import records about a finished source version. */
export interface SourceImportFacts {
  rowCount: number;
  columns: ColumnSchema[];
  schema: FrictionlessSchema;
  detection: StoredDetection;
  warnings: string[];
  format: SourceFormat;
  byteSize: number;
  sha256: string;
}

/** Stores the outcome of an import on its source version (same transaction as the rows). */
export async function completeSourceImport(db: DbOrTrx, id: number, f: SourceImportFacts): Promise<void> {
  await db('sources').where({ id }).update({
    row_count: f.rowCount,
    columns_json: JSON.stringify(f.columns),
    schema_json: JSON.stringify(f.schema),
    detection_json: JSON.stringify(f.detection),
    warnings_json: JSON.stringify(f.warnings),
    format_json: JSON.stringify(f.format),
    byte_size: f.byteSize,
    sha256: f.sha256,
  });
}

/** Every version of a dataset's source, newest first. */
export async function listSources(db: DbOrTrx, datasetId: number): Promise<SourceRecord[]> {
  const rows = (await db('sources').where({ dataset_id: datasetId }).orderBy('version', 'desc')) as Record<string, unknown>[];
  return rows.map(fromRow);
}

/** One version of a dataset's source. */
export async function getSourceVersion(db: DbOrTrx, datasetId: number, version: number): Promise<SourceRecord | undefined> {
  const row = await db('sources').where({ dataset_id: datasetId, version }).first();
  return row ? fromRow(row) : undefined;
}

/** Saves a steward's classification (roles, types) of a source version. */
export async function saveSourceClassification(
  db: DbOrTrx,
  id: number,
  c: { columns: ColumnSchema[]; schema: FrictionlessSchema; by: string; at: string },
): Promise<void> {
  await db('sources').where({ id }).update({
    columns_json: JSON.stringify(c.columns),
    schema_json: JSON.stringify(c.schema),
    classification_status: 'confirmed',
    classified_by: c.by,
    classified_at: c.at,
  });
}

/** Marks a source version purged (its data table is dropped separately, in the same transaction). */
export async function markSourcePurged(db: DbOrTrx, id: number, by: string, at = new Date().toISOString()): Promise<void> {
  await db('sources').where({ id }).update({ purged_at: at, purged_by: by });
}
