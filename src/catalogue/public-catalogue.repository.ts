import type { CellValue, ColumnSchema, SensitivityLevel } from './table-schema';
import { readPublicGeneration, searchCatalogue, searchCatalogueFacets, searchCataloguePage, summaryFromRow, type SearchFacets } from '../db/catalogue-search';
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

/**
 * The search caches of one database handle, shared by the pages, the API and CKAN. Results (which
 * carry download counts) live for the result TTL; facet counts and totals change only with the
 * catalogue, so they live per generation (the long TTL only bounds a relabelled publisher or
 * theme), and those of the whole catalogue are kept aside so browsing never recounts them.
 * Concurrent misses for one key share one query. A transaction handle gets caches of its own, so
 * what it sees before commit never reaches other requests.
 */
interface SearchCaches {
  results: SearchCache;
  facets: SearchCache;
  everything?: { generation: number; at: number; facets: Promise<SearchFacets> };
  pending: Map<string, Promise<unknown>>;
}

const searchCaches = new WeakMap<DbOrTrx, SearchCaches>();
const defaultSearchCacheSize = 500;
/** How long facet counts of one generation are kept (they change only when the generation does). */
const facetTtlMs = 10 * 60_000;

/** Sets the size of a database's search caches (PLAZA_SEARCH_CACHE; 0 turns caching off). */
export function configureSearchCache(db: DbOrTrx, maxEntries: number): void {
  searchCaches.set(db, { results: new SearchCache(maxEntries), facets: new SearchCache(maxEntries, facetTtlMs), pending: new Map() });
}

function cachesOf(db: DbOrTrx): SearchCaches {
  let caches = searchCaches.get(db);
  if (!caches) {
    configureSearchCache(db, defaultSearchCacheSize);
    caches = searchCaches.get(db)!;
  }
  return caches;
}

/** Runs `load` once for concurrent callers of the same key. */
function singleFlight<T>(caches: SearchCaches, key: string, load: () => Promise<T>): Promise<T> {
  const running = caches.pending.get(key) as Promise<T> | undefined;
  if (running) return running;
  const p = load().finally(() => caches.pending.delete(key));
  caches.pending.set(key, p);
  return p;
}

const noFilters = (query: SearchQuery) => Object.values(query.filters).every((v) => v.length === 0);

/** Facet counts of a query at a generation, from the cache when possible. */
async function cachedFacets(db: DbOrTrx, caches: SearchCaches, generation: number, query: SearchQuery): Promise<SearchFacets> {
  if (query.q.trim() === '' && noFilters(query)) {
    const now = Date.now();
    if (caches.everything?.generation !== generation || now - caches.everything.at > facetTtlMs) {
      const facets = searchCatalogueFacets(db, query);
      caches.everything = { generation, at: now, facets };
      facets.catch(() => {
        if (caches.everything?.facets === facets) caches.everything = undefined;
      });
    }
    return caches.everything.facets;
  }
  const key = 'facets|' + SearchCache.key(generation, { ...query, sort: 'relevance', page: 1, perPage: 0 });
  const hit = caches.facets.get(key);
  if (hit) return hit;
  return singleFlight(caches, key, async () => {
    const facets = await searchCatalogueFacets(db, query);
    caches.facets.set(key, { ...facets, results: [] });
    return facets;
  });
}

/**
 * Searches the public catalogue through the database's search caches (see SearchCaches). A cached
 * result is returned as the same object until it expires or the generation changes, so values
 * derived from it can be memoised with `derivedFrom`.
 */
export async function searchPublicDatasets(db: DbOrTrx, query: SearchQuery): Promise<SearchResult> {
  const caches = cachesOf(db);
  if (caches.results.maxEntries <= 0) return searchCatalogue(db, query);
  const generation = await readPublicGeneration(db);
  const key = SearchCache.key(generation, query);
  const hit = caches.results.get(key);
  if (hit) return hit;
  return singleFlight(caches, 'results|' + key, async () => {
    const facets = await cachedFacets(db, caches, generation, query);
    const result: SearchResult = { ...facets, results: facets.searchable ? await searchCataloguePage(db, query) : [] };
    caches.results.set(key, result);
    return result;
  });
}

const derived = new WeakMap<object, Map<string, Promise<unknown>>>();

/**
 * Memoises a value derived from a search result (rendered HTML, a JSON body, CKAN dictionaries) for
 * as long as that result object lives: a new generation or an expired entry gives a new result
 * object, and what was derived from the old one goes with it. `key` must name everything else the
 * value depends on (the view, the base path, paging).
 */
export function derivedFrom<T>(result: SearchResult, key: string, compute: () => Promise<T> | T): Promise<T> {
  let values = derived.get(result);
  if (!values) derived.set(result, (values = new Map()));
  let value = values.get(key) as Promise<T> | undefined;
  if (!value) {
    value = Promise.resolve().then(compute);
    values.set(key, value);
    value.catch(() => values.delete(key));
  }
  return value;
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

const detailColumns = [
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
];

type DatasetFilter = { slugs: string[] } | { ids: number[] };

/**
 * Public datasets with their metadata and release history, in the order asked for (missing ones
 * left out): five queries however many datasets — the rows, then themes, keywords, formats and
 * releases of all of them at once.
 */
async function loadPublicDatasets(db: DbOrTrx, which: DatasetFilter): Promise<PublicDataset[]> {
  const wanted: Array<string | number> = 'slugs' in which ? which.slugs : which.ids;
  if (wanted.length === 0) return [];
  const rows = (await db('pub_datasets as d')
    .join('publishers as p', 'p.id', 'd.publisher_id')
    .join('licences as l', 'l.id', 'd.licence_id')
    .whereIn('slugs' in which ? 'd.slug' : 'd.id', wanted)
    .select(detailColumns)) as Array<Record<string, unknown>>;
  if (rows.length === 0) return [];
  const ids = rows.map((r) => Number(r.id));
  const [themes, keywords, formats, releases] = await Promise.all([
    db('pub_dataset_themes as x').join('themes as t', 't.id', 'x.theme_id').whereIn('x.dataset_id', ids).orderBy('t.title').select('x.dataset_id', 't.slug', 't.title'),
    db('pub_dataset_keywords').whereIn('dataset_id', ids).orderBy('keyword').select('dataset_id', 'keyword'),
    db('pub_dataset_formats').whereIn('dataset_id', ids).orderBy('format').select('dataset_id', 'format'),
    db('pub_releases').whereIn('dataset_id', ids).orderBy('version', 'desc'),
  ]);
  const byDataset = <T>(list: Array<Record<string, unknown>>, map: (r: Record<string, unknown>) => T) => {
    const out = new Map<number, T[]>();
    for (const r of list) {
      const id = Number(r.dataset_id);
      const values = out.get(id);
      if (values) values.push(map(r));
      else out.set(id, [map(r)]);
    }
    return out;
  };
  const themesOf = byDataset(themes, (t) => ({ slug: String(t.slug), title: String(t.title) }));
  const keywordsOf = byDataset(keywords, (k) => String(k.keyword));
  const formatsOf = byDataset(formats, (f) => String(f.format));
  const releasesOf = byDataset(releases, releaseFromRow);
  const found = new Map<string | number, PublicDataset>();
  for (const row of rows) {
    const id = Number(row.id);
    const dataset: PublicDataset = {
      ...summaryFromRow(row),
      sensitivityLevel: row.sensitivity_level as SensitivityLevel,
      description: String(row.description),
      updateFrequency: String(row.update_frequency),
      temporalStart: (row.temporal_start as string | null) ?? null,
      temporalEnd: (row.temporal_end as string | null) ?? null,
      spatialCoverage: (row.spatial_coverage as string | null) ?? null,
      contactName: (row.contact_name as string | null) ?? null,
      contactEmail: (row.contact_email as string | null) ?? null,
      accessRequest: String(row.access_request ?? ''),
      createdAt: String(row.created_at),
      licence: { id: String(row.licence_id), title: String(row.licence_title), url: String(row.licence_url), isOpen: !!row.licence_is_open },
      themes: themesOf.get(id) ?? [],
      keywords: keywordsOf.get(id) ?? [],
      formats: formatsOf.get(id) ?? [],
      releases: releasesOf.get(id) ?? [],
    };
    found.set('slugs' in which ? dataset.slug : id, dataset);
  }
  return wanted.map((w) => found.get(w)).filter((d): d is PublicDataset => d !== undefined);
}

/** A public dataset with its metadata and release history, or undefined if it is not public. */
export async function getPublicDataset(db: DbOrTrx, slug: string): Promise<PublicDataset | undefined> {
  const [dataset] = await loadPublicDatasets(db, { slugs: [slug] });
  return dataset;
}

/** Public datasets by id with their metadata and release history, in the given order (five queries). */
export async function getPublicDatasetsByIds(db: DbOrTrx, ids: number[]): Promise<PublicDataset[]> {
  return loadPublicDatasets(db, { ids });
}

/** The ids of publishers and themes by slug (CKAN names organizations and groups by id). */
export async function referenceIds(db: DbOrTrx): Promise<{ publishers: Map<string, number>; themes: Map<string, number> }> {
  const [publishers, themes] = await Promise.all([db('publishers').select('id', 'slug'), db('themes').select('id', 'slug')]);
  const bySlug = (rows: Array<{ id: number | string; slug: string }>) => new Map(rows.map((r) => [r.slug, Number(r.id)]));
  return { publishers: bySlug(publishers), themes: bySlug(themes) };
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
  const ids: number[] = (await db('pub_datasets').orderBy('id').offset(page.offset).limit(page.limit).pluck('id')).map(Number);
  return loadPublicDatasets(db, { ids });
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
