import { appendAudit } from '../audit/audit.repository';
import { getDatasetBySlug, lockDataset, type DatasetRecord } from '../catalogue/dataset.repository';
import { iterateRows } from '../db/data-table';
import type { Db, DbOrTrx } from '../db/knex';
import { dropRawTable } from '../db/raw-source';
import { ConflictError, NotFoundError } from '../errors';
import { publishRelease, type PublishedRelease } from '../publishing/publish.service';
import { getSourceVersion, latestSource, listSources, markSourcePurged, type SourceRecord } from './source.repository';

/**
 * Source versions of a dataset: listing them, purging old ones (admins; audited) and, for
 * `plaza import --publish`, publishing a public dataset's source as a release through the same
 * publishRelease service as everything else.
 */

/** A dataset and its source versions, newest first. */
export async function datasetSources(db: DbOrTrx, slug: string): Promise<{ dataset: DatasetRecord; sources: SourceRecord[] }> {
  const dataset = await getDatasetBySlug(db, slug);
  if (!dataset) throw new NotFoundError('Dataset not found');
  return { dataset, sources: await listSources(db, dataset.id) };
}

/** One source version of a dataset (404 when either is missing). */
export async function datasetSource(db: DbOrTrx, slug: string, version: number | 'latest'): Promise<{ dataset: DatasetRecord; source: SourceRecord }> {
  const dataset = await getDatasetBySlug(db, slug);
  if (!dataset) throw new NotFoundError('Dataset not found');
  const source = version === 'latest' ? await latestSource(db, dataset.id) : await getSourceVersion(db, dataset.id, version);
  if (!source) throw new NotFoundError('Source version not found');
  return { dataset, source };
}

/**
 * Purges one old source version: drops its private table and marks it purged, with the audit
 * entry, in one transaction. The newest version is the dataset's working data and cannot be purged.
 */
export async function purgeSource(db: Db, p: { datasetSlug: string; version: number; actor: string; reason: string; requestId?: string; client?: string }): Promise<SourceRecord> {
  return db.transaction(async (trx) => {
    const { dataset, source } = await datasetSource(trx, p.datasetSlug, p.version);
    await lockDataset(trx, dataset.id);
    if (source.purgedAt) throw new ConflictError(`Version ${source.version} was already purged on ${source.purgedAt}`);
    const latest = await latestSource(trx, dataset.id);
    if (latest && latest.id === source.id) throw new ConflictError(`Version ${source.version} is the newest source version and holds the working data; import a newer version before purging it`);
    await dropRawTable(trx, source.tableName);
    await markSourcePurged(trx, source.id, p.actor);
    await appendAudit(trx, {
      actor: p.actor,
      action: 'ingest.source_purged',
      objectType: 'source',
      objectId: source.id,
      datasetId: dataset.id,
      requestId: p.requestId,
      client: p.client,
      details: { dataset: dataset.slug, version: source.version, rows: source.rowCount, reason: p.reason },
    });
    return (await getSourceVersion(trx, dataset.id, source.version))!;
  });
}

/** Why a source may not be published straight away as a public release, or undefined when it may. */
export function directPublishRefusal(dataset: DatasetRecord, source: SourceRecord): string | undefined {
  if (dataset.sensitivityLevel !== 'public') {
    return `only datasets at level "public" can be published directly; "${dataset.slug}" is "${dataset.sensitivityLevel}", so its data must go through a release policy, the publication gate and approval`;
  }
  const direct = source.columns.find((c) => c.role === 'direct_identifier');
  if (direct) {
    const reason = source.detection?.columns.find((d) => d.name === direct.name)?.roleReason;
    return `column "${direct.name}" is classified as a direct identifier${reason ? ` (${reason})` : ''}; a steward must review the classification before this data is published`;
  }
  if (source.detection && source.detection.suggestedLevel !== 'public') {
    return `personal data was detected (suggested level "${source.detection.suggestedLevel}"); a steward must review the classification before this data is published`;
  }
  return undefined;
}

/**
 * Publishes a public dataset's source version as a new release (`--publish`). `reader` reads the
 * raw rows while publishRelease holds its write transaction: on PostgreSQL the same pool, on a
 * SQLite file a second connection (WAL lets it read the committed source).
 */
export async function publishSourceAsRelease(db: Db, reader: DbOrTrx, p: { datasetSlug: string; version: number; actor: string }): Promise<PublishedRelease> {
  const { dataset, source } = await datasetSource(db, p.datasetSlug, p.version);
  const refusal = directPublishRefusal(dataset, source);
  if (refusal) throw new ConflictError(`Not published: ${refusal}`);
  const columns = source.columns.map((c) => ({ name: c.name, type: c.type, ...(c.title ? { title: c.title } : {}), ...(c.description ? { description: c.description } : {}), ...(c.unit ? { unit: c.unit } : {}) }));
  return publishRelease(db, {
    datasetId: dataset.id,
    columns,
    batches: iterateRows(reader, source.tableName, source.columns),
    actor: p.actor,
    sourceId: source.id,
    notes: `Published from source version ${source.version} (${source.filename}).`,
  });
}
