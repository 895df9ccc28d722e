import type { CellValue, ColumnSchema, SensitivityLevel } from './table-schema';
import { searchCatalogue, summaryFromRow } from '../db/catalogue-search';
import { readRowBatch } from '../db/data-table';
import type { DbOrTrx } from '../db/knex';
import { SearchCache } from './search-cache';
import type { PublicDataset, PublicDatasetSummary, PublicRelease, SearchQuery, SearchResult } from './catalogue.types';

/**
 * The public catalogue: everything citizens and researchers can see. It reads only the published
 * snapshot (pub_* tables), reference data and published release tables — never the private side.
 */

const summaryColumns = [
  'd.id',
  'd.slug',
  'd.title',
  'd.summary',
  'd.licence_id',
  'd.sensitivity_level',
  'd.metadata_only',
  'd.modified_at',
  'd.published_at',
  'd.download_count',
  'p.slug as publisher_slug',
  'p.name as publisher_name',
];

function releaseFromRow(r: Record<string, unknown>): PublicRelease {
  return {
    id: Number(r.id),
    version: Number(r.version),
    status: r.status as PublicRelease['status'],
    rowCount: Number(r.row_count),
    columns: JSON.parse(String(r.columns_json)) as ColumnSchema[],
    checksum: String(r.checksum),
    byteSize: Number(r.byte_size),
    statement: String(r.statement ?? ''),
    protection: r.protection_json ? (JSON.parse(String(r.protection_json)) as Record<string, unknown>) : null,
    notes: String(r.notes ?? ''),
    withdrawnReason: (r.withdrawn_reason as string | null) ?? null,
    publishedAt: String(r.published_at),
    downloadCount: Number(r.download_count),
    tableName: String(r.table_name),
  };
}

/** The public catalogue's generation: it changes whenever anything is published or withdrawn. */
export async function publicGeneration(db: DbOrTrx): Promise<number> {
  const row = (await db('pub_generation').where({ id: 1 }).first('generation')) as { generation: number | string } | undefined;
  return Number(row?.generation ?? 0);
}

/** Searches the public catalogue, through a result cache when one is given. */
export async function searchPublicDatasets(db: DbOrTrx, query: SearchQuery, cache?: SearchCache): Promise<SearchResult> {
  if (!cache || cache.maxEntries <= 0) return searchCatalogue(db, query);
  const key = SearchCache.key(await publicGeneration(db), query);
  const hit = cache.get(key);
  if (hit) return hit;
  const result = await searchCatalogue(db, query);
  cache.set(key, result);
  return result;
}

/** The most recently updated public datasets. */
export async function recentlyUpdated(db: DbOrTrx, limit: number): Promise<PublicDatasetSummary[]> {
  const rows = await db('pub_datasets as d')
    .join('publishers as p', 'p.id', 'd.publisher_id')
    .select(summaryColumns)
    .orderBy([
      { column: 'd.modified_at', order: 'desc' },
      { column: 'd.id', order: 'desc' },
    ])
    .limit(limit);
  return rows.map(summaryFromRow);
}

/** Headline counts for the home page. */
export async function catalogueCounts(db: DbOrTrx): Promise<{ datasets: number; publishers: number; releases: number; rows: number }> {
  const [d] = await db('pub_datasets').count({ n: '*' });
  const [p] = await db('pub_datasets').countDistinct({ n: 'publisher_id' });
  const [r] = await db('pub_releases').count({ n: '*' }).sum({ rows: 'row_count' }).where({ status: 'published' });
  return { datasets: Number(d.n), publishers: Number(p.n), releases: Number(r.n), rows: Number(r.rows ?? 0) };
}

/** A public dataset with its metadata and release history, or undefined if it is not public. */
export async function getPublicDataset(db: DbOrTrx, slug: string): Promise<PublicDataset | undefined> {
  const row = await db('pub_datasets as d')
    .join('publishers as p', 'p.id', 'd.publisher_id')
    .join('licences as l', 'l.id', 'd.licence_id')
    .where('d.slug', slug)
    .first([
      ...summaryColumns,
      'd.description',
      'd.update_frequency',
      'd.temporal_start',
      'd.temporal_end',
      'd.spatial_coverage',
      'd.contact_name',
      'd.contact_email',
      'd.access_request',
      'd.created_at',
      'l.title as licence_title',
      'l.url as licence_url',
      'l.is_open as licence_is_open',
    ]);
  if (!row) return undefined;
  const id = Number(row.id);
  const [themes, keywords, formats, releases] = await Promise.all([
    db('pub_dataset_themes as x').join('themes as t', 't.id', 'x.theme_id').where('x.dataset_id', id).orderBy('t.title').select('t.slug', 't.title'),
    db('pub_dataset_keywords').where('dataset_id', id).orderBy('keyword').pluck('keyword'),
    db('pub_dataset_formats').where('dataset_id', id).orderBy('format').pluck('format'),
    db('pub_releases').where('dataset_id', id).orderBy('version', 'desc'),
  ]);
  return {
    ...summaryFromRow(row),
    sensitivityLevel: row.sensitivity_level as SensitivityLevel,
    description: String(row.description),
    updateFrequency: String(row.update_frequency),
    temporalStart: row.temporal_start ?? null,
    temporalEnd: row.temporal_end ?? null,
    spatialCoverage: row.spatial_coverage ?? null,
    contactName: row.contact_name ?? null,
    contactEmail: row.contact_email ?? null,
    accessRequest: String(row.access_request ?? ''),
    createdAt: String(row.created_at),
    licence: { id: String(row.licence_id), title: String(row.licence_title), url: String(row.licence_url), isOpen: !!row.licence_is_open },
    themes: themes.map((t: { slug: string; title: string }) => ({ slug: t.slug, title: t.title })),
    keywords,
    formats,
    releases: releases.map(releaseFromRow),
  };
}

/** One public release of a dataset by version number. */
export async function getPublicRelease(db: DbOrTrx, datasetId: number, version: number): Promise<PublicRelease | undefined> {
  const row = await db('pub_releases').where({ dataset_id: datasetId, version }).first();
  return row ? releaseFromRow(row) : undefined;
}

/** The first rows of a published release, for the preview table. */
export async function previewRows(db: DbOrTrx, release: PublicRelease, limit: number): Promise<CellValue[][]> {
  const { rows } = await readRowBatch(db, release.tableName, release.columns, 0, limit);
  return rows;
}

/** A dataset's identity with one of its public releases (downloads, feeds, API). */
export interface PublicReleaseRef {
  dataset: { id: number; slug: string; title: string; licenceId: string; sensitivityLevel: SensitivityLevel };
  release: PublicRelease;
}

/** Public releases joined with their dataset's identity (the one query behind both lookups below). */
function releaseRefQuery(db: DbOrTrx) {
  return db('pub_releases as r')
    .join('pub_datasets as d', 'd.id', 'r.dataset_id')
    .select('r.*', 'd.slug as dataset_slug', 'd.title as dataset_title', 'd.licence_id as dataset_licence_id', 'd.sensitivity_level as dataset_level');
}

function releaseRefFromRow(row: Record<string, unknown> | undefined): PublicReleaseRef | undefined {
  if (!row) return undefined;
  return {
    dataset: {
      id: Number(row.dataset_id),
      slug: String(row.dataset_slug),
      title: String(row.dataset_title),
      licenceId: String(row.dataset_licence_id),
      sensitivityLevel: row.dataset_level as SensitivityLevel,
    },
    release: releaseFromRow(row),
  };
}

/** One public release by dataset slug and version (`latest` = the current published one), or undefined. */
export async function findPublicRelease(db: DbOrTrx, slug: string, version: number | 'latest'): Promise<PublicReleaseRef | undefined> {
  const q = releaseRefQuery(db).where('d.slug', slug);
  const row = version === 'latest' ? await q.andWhere('r.status', 'published').orderBy('r.version', 'desc').first() : await q.andWhere('r.version', version).first();
  return releaseRefFromRow(row);
}

/** One public release by its id (CKAN resource ids name releases), or undefined. */
export async function findPublicReleaseById(db: DbOrTrx, releaseId: number): Promise<PublicReleaseRef | undefined> {
  return releaseRefFromRow(await releaseRefQuery(db).where('r.id', releaseId).first());
}

/** Number of datasets in the public catalogue. */
export async function countPublicDatasets(db: DbOrTrx): Promise<number> {
  const [row] = await db('pub_datasets').count({ n: '*' });
  return Number(row.n);
}

/** Public datasets with full metadata, ordered by id, one page at a time (feeds read the catalogue with this). */
export async function listPublicDatasetsDetailed(db: DbOrTrx, page: { offset: number; limit: number }): Promise<PublicDataset[]> {
  const slugs: string[] = await db('pub_datasets').orderBy('id').offset(page.offset).limit(page.limit).pluck('slug');
  const out: PublicDataset[] = [];
  for (const slug of slugs) {
    const d = await getPublicDataset(db, slug);
    if (d) out.push(d);
  }
  return out;
}

/** Slugs of public datasets in slug order, one page at a time (CKAN package_list). */
export async function listPublicDatasetSlugs(db: DbOrTrx, page: { offset: number; limit: number }): Promise<string[]> {
  return db('pub_datasets').orderBy('slug').offset(page.offset).limit(page.limit).pluck('slug');
}

/** The slug of a public dataset by id, or undefined. */
export async function publicDatasetSlugById(db: DbOrTrx, id: number): Promise<string | undefined> {
  const row = await db('pub_datasets').where({ id }).first('slug');
  return row ? String(row.slug) : undefined;
}

/** Every keyword used by a public dataset, alphabetically (CKAN tag_list). */
export async function listPublicKeywords(db: DbOrTrx): Promise<string[]> {
  return db('pub_dataset_keywords').distinct('keyword').orderBy('keyword').pluck('keyword');
}
