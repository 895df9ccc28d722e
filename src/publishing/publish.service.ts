import crypto from 'node:crypto';
import { appendAudit } from '../audit/audit.repository';
import { getDatasetById, lockDataset, setDatasetState } from '../catalogue/dataset.repository';
import type { CellValue, ColumnSchema } from '../catalogue/table-schema';
import { createDataTable, insertRows } from '../db/data-table';
import type { Db } from '../db/knex';
import { csvHeader, csvLine } from '../downloads/csv';
import { NotFoundError, ValidationError } from '../errors';
import { insertPublicRelease, writePublicSnapshot } from './publication.repository';
import { claimApprovedRelease, completeRelease, insertRelease, nextReleaseVersion, supersedePublished } from './release.repository';

/** Formats every release with data can be downloaded in. */
export const releaseFormats = ['CSV', 'JSON', 'NDJSON'];

/** Rows to publish: an array of rows or an (async) iterable of row batches. */
export type RowBatches = Iterable<CellValue[][]> | AsyncIterable<CellValue[][]>;

/** Everything needed to publish a release of a dataset. */
export interface PublishInput {
  datasetId: number;
  columns: ColumnSchema[];
  batches: RowBatches;
  actor: string;
  requestId?: string;
  sourceId?: number | null;
  policy?: unknown;
  notes?: string;
  statement?: string;
  protection?: Record<string, unknown> | null;
  /**
   * Publish this approved release of the workflow instead of creating a new record; with
   * `approvalHash`, the publish fails unless the release is still approved with exactly that hash.
   */
  existingReleaseId?: number;
  approvalHash?: string;
  /** Test hook: called after each step (see publishSteps); a throw there must leave no trace. */
  afterStep?: (step: PublishStep) => void | Promise<void>;
}

/** The steps of a publish, in order (fault-injection points for tests). */
export const publishSteps = [
  'locked',
  'release_recorded',
  'table_created',
  'rows_written',
  'previous_superseded',
  'release_completed',
  'snapshot_written',
  'public_release_written',
  'dataset_marked',
  'audited',
] as const;
export type PublishStep = (typeof publishSteps)[number];

/** The published release's figures. */
export interface PublishedRelease {
  releaseId: number;
  version: number;
  rowCount: number;
  checksum: string;
  byteSize: number;
  tableName: string;
}

/**
 * Publishes a new version of a dataset atomically: the release table, its checksum (SHA-256 of the
 * canonical CSV), the public metadata snapshot, the superseding of the previous version and the
 * audit entry commit in one transaction, or none of them does.
 */
export async function publishRelease(db: Db, input: PublishInput): Promise<PublishedRelease> {
  if (input.columns.length === 0) throw new ValidationError('A release needs at least one column');
  const names = new Set<string>();
  for (const c of input.columns) {
    if (names.has(c.name)) throw new ValidationError(`Column "${c.name}" appears twice`);
    names.add(c.name);
  }
  const step = async (name: PublishStep) => {
    if (input.afterStep) await input.afterStep(name);
  };
  return db.transaction(async (trx) => {
    await lockDataset(trx, input.datasetId);
    await step('locked');
    const dataset = await getDatasetById(trx, input.datasetId);
    if (!dataset) throw new NotFoundError('Dataset not found');
    const version = await nextReleaseVersion(trx, dataset.id);
    const releaseId =
      input.existingReleaseId !== undefined
        ? await claimApprovedRelease(trx, { id: input.existingReleaseId, datasetId: dataset.id, version, approvalHash: input.approvalHash })
        : await insertRelease(trx, {
            datasetId: dataset.id,
            state: 'publishing',
            version,
            sourceId: input.sourceId ?? null,
            policy: input.policy ?? null,
            createdBy: input.actor,
            notes: input.notes ?? '',
          });
    await step('release_recorded');
    const tableName = `rel_${releaseId}`;
    await createDataTable(trx, tableName, input.columns);
    await step('table_created');
    const hash = crypto.createHash('sha256');
    const header = csvHeader(input.columns);
    hash.update(header);
    let byteSize = Buffer.byteLength(header);
    let rowCount = 0;
    for await (const batch of input.batches) {
      await insertRows(trx, tableName, input.columns, batch);
      for (const row of batch) {
        const line = csvLine(row, input.columns);
        hash.update(line);
        byteSize += Buffer.byteLength(line);
      }
      rowCount += batch.length;
    }
    await step('rows_written');
    const checksum = hash.digest('hex');
    const publishedAt = new Date().toISOString();
    await supersedePublished(trx, dataset.id);
    await step('previous_superseded');
    await completeRelease(trx, releaseId, {
      tableName,
      rowCount,
      columns: input.columns,
      checksum,
      byteSize,
      statement: input.statement ?? '',
      risk: input.protection ?? null,
      publishedAt,
    });
    await step('release_completed');
    await writePublicSnapshot(trx, dataset, { latestReleaseId: releaseId, metadataOnly: false, formats: releaseFormats, publishedAt });
    await step('snapshot_written');
    await insertPublicRelease(trx, {
      id: releaseId,
      datasetId: dataset.id,
      version,
      tableName,
      rowCount,
      columns: input.columns,
      checksum,
      byteSize,
      statement: input.statement ?? '',
      protection: input.protection ?? null,
      notes: input.notes ?? '',
      publishedAt,
    });
    await step('public_release_written');
    await setDatasetState(trx, dataset.id, 'published', publishedAt);
    await step('dataset_marked');
    await appendAudit(trx, {
      actor: input.actor,
      action: 'release.published',
      objectType: 'release',
      objectId: releaseId,
      requestId: input.requestId,
      details: { dataset: dataset.slug, version, rowCount, checksum },
    });
    await step('audited');
    return { releaseId, version, rowCount, checksum, byteSize, tableName };
  });
}
