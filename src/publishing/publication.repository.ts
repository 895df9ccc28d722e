import type { DatasetRecord } from '../catalogue/dataset.repository';
import type { ColumnSchema } from '../catalogue/table-schema';
import { indexPublicDataset } from '../db/catalogue-search';
import type { DbOrTrx } from '../db/knex';

/**
 * Writes the public side of the catalogue. Publishing copies a dataset's working metadata into the
 * pub_* snapshot and adds the release; nothing else writes these tables, and nothing on the public
 * side reads the private tables.
 */

/** What the snapshot records beyond the dataset's own metadata. */
export interface SnapshotOptions {
  latestReleaseId: number | null;
  metadataOnly: boolean;
  formats: string[];
  publishedAt: string;
}

/** Bumps the public catalogue's generation; every writer of pub_* tables calls it. */
export async function bumpPublicGeneration(db: DbOrTrx): Promise<void> {
  await db('pub_generation').where({ id: 1 }).increment('generation', 1);
}

/** Copies a dataset's current metadata to the public catalogue (insert or replace). */
export async function writePublicSnapshot(db: DbOrTrx, d: DatasetRecord, o: SnapshotOptions): Promise<void> {
  const existing = await db('pub_datasets').where({ id: d.id }).first('published_at', 'download_count');
  const row = {
    id: d.id,
    slug: d.slug,
    title: d.title,
    summary: d.summary,
    description: d.description,
    publisher_id: d.publisherId,
    licence_id: d.licenceId,
    update_frequency: d.updateFrequency,
    temporal_start: d.temporalStart,
    temporal_end: d.temporalEnd,
    spatial_coverage: d.spatialCoverage,
    contact_name: d.contactName,
    contact_email: d.contactEmail,
    sensitivity_level: d.sensitivityLevel,
    metadata_only: o.metadataOnly,
    access_request: d.accessRequest,
    latest_release_id: o.latestReleaseId,
    created_at: d.createdAt,
    modified_at: o.publishedAt,
    published_at: existing?.published_at ?? o.publishedAt,
  };
  if (existing) await db('pub_datasets').where({ id: d.id }).update(row);
  else await db('pub_datasets').insert(row);

  await db('pub_dataset_themes').where({ dataset_id: d.id }).delete();
  const themes = d.themeSlugs.length ? await db('themes').whereIn('slug', d.themeSlugs).select('id', 'title') : [];
  if (themes.length) await db('pub_dataset_themes').insert(themes.map((t: { id: number }) => ({ dataset_id: d.id, theme_id: t.id })));
  await db('pub_dataset_keywords').where({ dataset_id: d.id }).delete();
  if (d.keywords.length) await db('pub_dataset_keywords').insert(d.keywords.map((keyword) => ({ dataset_id: d.id, keyword })));
  await db('pub_dataset_formats').where({ dataset_id: d.id }).delete();
  if (o.formats.length) await db('pub_dataset_formats').insert(o.formats.map((format) => ({ dataset_id: d.id, format })));

  await bumpPublicGeneration(db);
  const publisher = await db('publishers').where({ id: d.publisherId }).first('name');
  await indexPublicDataset(db, d.id, {
    title: d.title,
    summary: d.summary,
    description: d.description,
    keywords: d.keywords,
    publisher: publisher?.name ?? '',
    themes: themes.map((t: { title: string }) => t.title),
  });
}

/** A release row for the public table. */
export interface PublicReleaseRow {
  id: number;
  datasetId: number;
  version: number;
  tableName: string;
  rowCount: number;
  columns: ColumnSchema[];
  checksum: string;
  byteSize: number;
  statement: string;
  protection: Record<string, unknown> | null;
  notes: string;
  publishedAt: string;
}

/** Adds a published release to the public catalogue, marking the dataset's previous one superseded. */
export async function insertPublicRelease(db: DbOrTrx, r: PublicReleaseRow): Promise<void> {
  await bumpPublicGeneration(db);
  await db('pub_releases').where({ dataset_id: r.datasetId, status: 'published' }).update({ status: 'superseded' });
  await db('pub_releases').insert({
    id: r.id,
    dataset_id: r.datasetId,
    version: r.version,
    status: 'published',
    table_name: r.tableName,
    row_count: r.rowCount,
    columns_json: JSON.stringify(r.columns),
    checksum: r.checksum,
    byte_size: r.byteSize,
    statement: r.statement,
    protection_json: r.protection ? JSON.stringify(r.protection) : null,
    notes: r.notes,
    published_at: r.publishedAt,
  });
}

/** Marks a public release withdrawn with its public reason; the record and history remain. */
export async function markPublicReleaseWithdrawn(db: DbOrTrx, releaseId: number, reason: string): Promise<void> {
  await bumpPublicGeneration(db);
  await db('pub_releases').where({ id: releaseId }).update({ status: 'withdrawn', withdrawn_reason: reason });
}
