import crypto from 'node:crypto';
import { appendAudit } from '../audit/audit.repository';
import { getDatasetBySlug, lockDataset, type DatasetRecord } from '../catalogue/dataset.repository';
import { createDatasetIn } from '../catalogue/dataset.service';
import type { CellValue, ColumnSchema, ColumnType, SensitivityLevel } from '../catalogue/table-schema';
import type { ImportConfig } from '../config';
import { openBulkInserter, type BulkInserter } from '../db/bulk-insert';
import type { Db, DbOrTrx } from '../db/knex';
import { findNul } from '../db/data-table';
import { copyRawRows, widenColumnToText } from '../db/raw-source';
import { AppError, ConflictError, NotFoundError, ValidationError } from '../errors';
import { openCsv, type CsvFormat, type OpenedCsv } from './csv-input';
import { toTableSchema } from './frictionless';
import { convertInPlace, fitRecord, newRowStats, normaliseHeader, rowWarnings, type RowStats } from './import-rows';
import { ImportInputError } from './import.errors';
import { detectPersonalData } from './pii-detect';
import { completeSourceImport, createSource, latestSource, type SourceMode, type SourceRecord, type StoredDetection } from './source.repository';
import { ColumnTypeGuess } from './type-inference';

/**
 * The one import service behind the upload page, the API and `plaza import`. It streams a CSV
 * into a new private source version: a bounded sample (IMPORT_SAMPLE_ROWS rows) is read first to
 * infer types and detect personal data, then the table is created and every row is loaded in
 * batches. Everything — dataset creation, the source row, its table, the rows and the audit
 * entry — commits in one transaction or not at all; a refusal is audited afterwards as
 * `ingest.source_rejected`.
 *
 * A value after the sample that does not fit its column's inferred type widens that column to
 * text in place (values already stored keep their normalised text form) and adds a warning. A
 * type the caller set explicitly is never widened: a value that does not fit it is an error.
 */

/** A dataset to create along with the import (CLI `--create`). */
export interface CreateDatasetInput {
  title: string;
  publisherSlug: string;
  level: SensitivityLevel;
}

/** Everything one import needs. */
export interface ImportInput {
  datasetSlug: string;
  /** The file's bytes, as sent (gzip is detected from the content). */
  input: AsyncIterable<Buffer>;
  filename: string;
  /** Audit form of the actor (`user:3`, `token:7`, `system`). */
  actor: string;
  mode?: SourceMode;
  /** Column types to use instead of inferred ones, by column name. */
  types?: ReadonlyMap<string, ColumnType>;
  create?: CreateDatasetInput;
  requestId?: string;
  client?: string;
  onProgress?: (p: { bytes: number; rows: number }) => void;
}

/** What an import produced, for result pages, API responses and the CLI. */
export interface ImportResult {
  dataset: { id: number; slug: string; title: string; level: SensitivityLevel; created: boolean };
  source: { id: number; version: number; mode: SourceMode; rows: number; columns: ColumnSchema[]; tableName: string };
  format: CsvFormat;
  detection: StoredDetection;
  warnings: string[];
  bytes: number;
  sha256: string;
  durationMs: number;
}

/** Rows per insert batch (fewer for wide tables, so a batch stays around 200,000 cells). */
const batchRowsFor = (columns: number) => Math.max(50, Math.min(5000, Math.floor(200_000 / Math.max(1, columns))));
/** Characters of sampled text held in memory at most, whatever IMPORT_SAMPLE_ROWS says. */
const maxSampleChars = 32 * 1024 * 1024;

async function* hashing(input: AsyncIterable<Buffer>, hash: crypto.Hash): AsyncGenerator<Buffer> {
  for await (const chunk of input) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    hash.update(buf);
    yield buf;
  }
}

async function resolveDataset(trx: DbOrTrx, input: ImportInput): Promise<{ dataset: DatasetRecord; created: boolean }> {
  const existing = await getDatasetBySlug(trx, input.datasetSlug);
  if (existing) {
    if (input.create) throw new ConflictError(`A dataset called "${input.datasetSlug}" already exists; leave out --create to add a source version to it`);
    return { dataset: existing, created: false };
  }
  if (!input.create) throw new NotFoundError('Dataset not found');
  const dataset = await createDatasetIn(trx, {
    slug: input.datasetSlug,
    title: input.create.title,
    publisherSlug: input.create.publisherSlug,
    level: input.create.level,
    actor: input.actor,
    requestId: input.requestId,
    client: input.client,
    via: 'import',
  });
  return { dataset, created: true };
}

interface Sample {
  records: string[][];
  /** Records read past the sample (the rest of its last batch), not yet fitted. */
  extra: string[][];
  complete: boolean;
}

/** Reads IMPORT_SAMPLE_ROWS rows (fewer when they hold more than 32 M characters). */
async function readSample(opened: OpenedCsv, names: string[], stats: RowStats, limits: ImportConfig): Promise<Sample> {
  const records: string[][] = [];
  let chars = 0;
  const utf8 = opened.format.encoding === 'utf-8';
  while (records.length < limits.sampleRows && chars < maxSampleChars) {
    const r = await opened.batches.next();
    if (r.done) return { records, extra: [], complete: true };
    const batch = r.value;
    for (let k = 0; k < batch.length; k++) {
      if (records.length >= limits.sampleRows || chars >= maxSampleChars) return { records, extra: batch.slice(k), complete: false };
      const rec = fitRecord(batch[k], records.length + 2, names, stats, { maxFieldBytes: limits.maxFieldBytes, utf8 });
      for (const f of rec) chars += f.length;
      records.push(rec);
    }
  }
  return { records, extra: [], complete: false };
}

function chooseColumns(names: string[], sample: Sample, input: ImportInput, previous: SourceRecord | undefined): { columns: ColumnSchema[]; inferred: ColumnType[]; forced: boolean[] } {
  if (input.types) {
    for (const name of input.types.keys()) {
      if (!names.includes(name)) throw new ValidationError(`A type was given for column "${name}", but the file has no such column`);
    }
  }
  if (previous) {
    const prevNames = previous.columns.map((c) => c.name);
    const missing = prevNames.filter((n) => !names.includes(n));
    const extra = names.filter((n) => !prevNames.includes(n));
    if (missing.length || extra.length || prevNames.some((n, i) => names[i] !== n)) {
      throw new ImportInputError(
        `Row 1: appending needs the same columns, in the same order, as version ${previous.version}` +
          (missing.length ? `; missing: ${missing.map((n) => `"${n}"`).join(', ')}` : '') +
          (extra.length ? `; not in version ${previous.version}: ${extra.map((n) => `"${n}"`).join(', ')}` : ''),
        { row: 1, rule: 'append_columns' },
      );
    }
    return { columns: previous.columns.map((c) => ({ ...c })), inferred: previous.columns.map((c) => c.type), forced: names.map(() => true) };
  }
  const guesses = names.map(() => new ColumnTypeGuess());
  for (const rec of sample.records) for (let i = 0; i < names.length; i++) guesses[i].add(rec[i]);
  const inferred = guesses.map((g) => g.type);
  const forced = names.map((n) => input.types?.has(n) ?? false);
  const columns = names.map((name, i) => ({ name, type: input.types?.get(name) ?? inferred[i] }));
  return { columns, inferred, forced };
}

const typeLabels: Record<ColumnType, string> = { integer: 'a whole number', number: 'a number', boolean: 'true/false or yes/no', date: 'a date (yyyy-mm-dd or dd/mm/yyyy)', datetime: 'a date and time', string: 'text' };

/** Imports a CSV as a new source version of a dataset. */
export async function importCsv(db: Db, limits: ImportConfig, input: ImportInput): Promise<ImportResult> {
  const started = Date.now();
  const hash = crypto.createHash('sha256');
  const mode = input.mode ?? 'replace';
  let it: AsyncGenerator<string[][]> | undefined;
  try {
    // Check the dataset before reading a byte, so a wrong slug fails fast.
    if (!input.create && !(await getDatasetBySlug(db, input.datasetSlug))) throw new NotFoundError('Dataset not found');
    let rows = 0;
    let lastProgress = 0;
    const progress = (bytes: number) => {
      if (input.onProgress && bytes - lastProgress >= 256 * 1024) {
        lastProgress = bytes;
        input.onProgress({ bytes, rows });
      }
    };
    const opened = await openCsv(hashing(input.input, hash), limits, progress);
    const { names, warnings } = normaliseHeader(opened.header, limits);
    const stats = newRowStats();
    it = opened.batches;
    const sample = await readSample(opened, names, stats, limits);
    if (sample.records.length === 0) warnings.push('The file has a header but no data rows');

    return await db.transaction(async (trx) => {
      const { dataset, created } = await resolveDataset(trx, input);
      await lockDataset(trx, dataset.id);
      const previous = mode === 'append' ? await latestSource(trx, dataset.id) : undefined;
      if (mode === 'append' && (!previous || previous.purgedAt)) {
        throw new ConflictError('There is no earlier source version to append to; import with mode "replace" first');
      }
      const { columns, inferred, forced } = chooseColumns(names, sample, input, previous);
      const sampleColumns = names.map((name, i) => ({ name, type: columns[i].type, values: sample.records.map((r) => r[i]) }));
      const detection: StoredDetection = { ...detectPersonalData(sampleColumns, sample.records.length), sampledRows: sample.records.length };
      detection.columns.forEach((d, i) => {
        columns[i].role = previous?.columns[i]?.role ?? d.suggestedRole;
      });
      const source = await createSource(trx, { datasetId: dataset.id, columns, filename: input.filename.slice(0, 300), createdBy: input.actor, mode });
      if (previous) rows = await copyRawRows(trx, previous.tableName, source.tableName, columns.length);
      const inserter: BulkInserter = await openBulkInserter(trx, source.tableName, columns);
      const batchRows = batchRowsFor(columns.length);
      let batch: CellValue[][] = [];
      const flush = async () => {
        if (batch.length === 0) return;
        // PostgreSQL text cannot hold U+0000: refuse it the same way on both engines, naming the row.
        const nul = findNul(batch);
        if (nul) {
          const row = batchFirstRow + nul.row;
          throw new ImportInputError(`Row ${row}, column ${nul.column + 1} ("${columns[nul.column].name}"): the text contains a NUL character (U+0000), which Plaza does not store. Remove it from the file and try again.`, {
            row,
            column: nul.column + 1,
            rule: 'nul',
          });
        }
        await inserter.insert(batch);
        rows += batch.length;
        batch = [];
        input.onProgress?.({ bytes: opened.bytesRead(), rows });
      };
      const utf8 = opened.format.encoding === 'utf-8';
      let rowNumber = 1;
      /** The file row (header = row 1) of the first record in the pending batch. */
      let batchFirstRow = 2;
      const widen = async (index: number) => {
        const col = columns[index];
        if (forced[index]) {
          throw new ImportInputError(`Row ${rowNumber}, column ${index + 1} ("${col.name}"): the value is not ${typeLabels[col.type]}, the type set for this column`, {
            row: rowNumber,
            column: index + 1,
            rule: 'type',
          });
        }
        await flush();
        await widenColumnToText(trx, source.tableName, columns, index);
        warnings.push(
          `Row ${rowNumber}, column ${index + 1} ("${col.name}"): the value is not ${typeLabels[col.type]} as the first ${sample.records.length} rows suggested, so the column was changed to text`,
        );
        columns[index] = { ...col, type: 'string' };
        inserter.reset(columns);
      };
      // The common path is synchronous per row; it awaits only to flush a batch or widen a column.
      const load = async (recs: string[][], fitted: boolean) => {
        for (const raw of recs) {
          rowNumber++;
          const rec: CellValue[] = fitted ? raw : fitRecord(raw, rowNumber, names, stats, { maxFieldBytes: limits.maxFieldBytes, utf8 });
          for (let failed = convertInPlace(rec, columns, 0); failed >= 0; failed = convertInPlace(rec, columns, failed)) await widen(failed);
          if (batch.length === 0) batchFirstRow = rowNumber;
          batch.push(rec);
          if (batch.length >= batchRows) await flush();
        }
      };
      await load(sample.records, true);
      sample.records.length = 0;
      await load(sample.extra, false);
      sample.extra.length = 0;
      if (!sample.complete) for await (const recs of opened.batches) await load(recs, false);
      await flush();
      warnings.push(...rowWarnings(stats, names.length));
      const sha256 = hash.digest('hex');
      const bytes = opened.bytesRead();
      await completeSourceImport(trx, source.id, {
        rowCount: rows,
        columns,
        schema: toTableSchema(columns, inferred),
        detection,
        warnings,
        format: opened.format,
        byteSize: bytes,
        sha256,
      });
      await appendAudit(trx, {
        actor: input.actor,
        action: 'ingest.source_imported',
        objectType: 'source',
        objectId: source.id,
        datasetId: dataset.id,
        requestId: input.requestId,
        client: input.client,
        details: {
          dataset: dataset.slug,
          version: source.version,
          mode,
          rows,
          columns: columns.length,
          bytes,
          sha256,
          encoding: opened.format.encoding,
          delimiter: opened.format.delimiter,
          suggestedLevel: detection.suggestedLevel,
          warnings: warnings.length,
        },
      });
      return {
        dataset: { id: dataset.id, slug: dataset.slug, title: dataset.title, level: dataset.sensitivityLevel, created },
        source: { id: source.id, version: source.version, mode, rows, columns, tableName: source.tableName },
        format: opened.format,
        detection,
        warnings,
        bytes,
        sha256,
        durationMs: Date.now() - started,
      };
    });
  } catch (err) {
    await it?.return?.(undefined).catch(() => undefined);
    if (err instanceof AppError && err.status < 500 && err.status !== 404) await auditRejection(db, input, err);
    throw err;
  }
}

async function auditRejection(db: Db, input: ImportInput, err: AppError): Promise<void> {
  const dataset = await getDatasetBySlug(db, input.datasetSlug);
  await appendAudit(db, {
    actor: input.actor,
    action: 'ingest.source_rejected',
    objectType: 'dataset',
    objectId: dataset?.id ?? null,
    outcome: 'failure',
    requestId: input.requestId,
    client: input.client,
    details: { dataset: input.datasetSlug, code: err.code, status: err.status, message: err.message, ...(err.details ?? {}) },
  });
}
