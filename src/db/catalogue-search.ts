import type {
  FacetName,
  FacetValue,
  PublicDatasetSummary,
  SearchQuery,
  SearchResult,
} from '../catalogue/catalogue.types';
import { facetNames } from '../catalogue/catalogue.types';
import { searchTerms } from '../catalogue/search-terms';
import type { SensitivityLevel } from '../catalogue/table-schema';
import { dialectOf, type DbOrTrx } from './knex';
import { readOnlyConnectionOf, type ReadOnlySqlite, type ReadOnlyStatement } from './sqlite-client';

/**
 * Full-text search over the published catalogue: SQLite FTS5 (bm25) and PostgreSQL full-text
 * search (ts_rank_cd) behind one function. This is the only place with search SQL; it reads only
 * the public tables.
 */

type Binding = string | number;

interface MatchSql {
  /** FROM clause fragment producing d (pub_datasets) and, when ranked, a rank column `f.rk` (SQLite). */
  from: string;
  where: string[];
  bindings: Binding[];
  hasText: boolean;
}

/** bm25 with the column weights title 10 › summary 5 › keywords 4 › publisher/themes 2 › description 1. */
const bm25 = 'bm25(pub_datasets_fts, 10.0, 5.0, 1.0, 4.0, 2.0, 2.0)';

/** The FTS5 match expression of search terms: every word as a prefix, all required. */
const ftsMatch = (terms: string[]) => terms.map((t) => `"${t}"*`).join(' ');

/**
 * The matched set as SQL. `ranked` joins the FTS5 match with its bm25 rank (needed only to order by
 * relevance); unranked, the match is a plain rowid set, which SQLite computes several times faster.
 */
function matchSql(db: DbOrTrx, query: SearchQuery, terms: string[], ranked: boolean): MatchSql {
  const pg = dialectOf(db) === 'pg';
  const bindings: Binding[] = [];
  const where: string[] = [];
  let from = 'pub_datasets d';
  const hasText = terms.length > 0;
  if (hasText) {
    if (pg) {
      from = "pub_datasets d CROSS JOIN to_tsquery('english', ?) tq";
      bindings.push(terms.map((t) => `${t}:*`).join(' & '));
      where.push('d.search_vector @@ tq');
    } else if (ranked) {
      from = `pub_datasets d JOIN (SELECT rowid AS id, ${bm25} AS rk FROM pub_datasets_fts WHERE pub_datasets_fts MATCH ?) f ON f.id = d.id`;
      bindings.push(ftsMatch(terms));
    } else {
      where.push('d.id IN (SELECT rowid FROM pub_datasets_fts WHERE pub_datasets_fts MATCH ?)');
      bindings.push(ftsMatch(terms));
    }
  }
  const inList = (values: string[]) => values.map(() => '?').join(',');
  const f = query.filters;
  if (f.theme.length) {
    where.push(
      `d.id IN (SELECT x.dataset_id FROM pub_dataset_themes x JOIN themes t ON t.id = x.theme_id WHERE t.slug IN (${inList(f.theme)}))`,
    );
    bindings.push(...f.theme);
  }
  if (f.publisher.length) {
    where.push(`d.publisher_id IN (SELECT id FROM publishers WHERE slug IN (${inList(f.publisher)}))`);
    bindings.push(...f.publisher);
  }
  if (f.licence.length) {
    where.push(`d.licence_id IN (${inList(f.licence)})`);
    bindings.push(...f.licence);
  }
  if (f.level.length) {
    where.push(`d.sensitivity_level IN (${inList(f.level)})`);
    bindings.push(...f.level);
  }
  if (f.format.length) {
    where.push(`d.id IN (SELECT dataset_id FROM pub_dataset_formats WHERE format IN (${inList(f.format)}))`);
    bindings.push(...f.format);
  }
  for (const keyword of f.keyword) {
    // Keywords narrow: a dataset must carry every chosen keyword.
    where.push('d.id IN (SELECT dataset_id FROM pub_dataset_keywords WHERE keyword = ?)');
    bindings.push(keyword);
  }
  return { from, where, bindings, hasText };
}

function orderBy(db: DbOrTrx, query: SearchQuery, hasText: boolean): string {
  const pg = dialectOf(db) === 'pg';
  switch (effectiveSort(query, hasText)) {
    case 'relevance':
      return pg ? 'ts_rank_cd(d.search_vector, tq) DESC, d.id ASC' : 'f.rk ASC, d.id ASC';
    case 'title':
      return 'LOWER(d.title) ASC, d.id ASC';
    case 'downloads':
      return 'd.download_count DESC, d.id ASC';
    default:
      return 'd.modified_at DESC, d.id DESC';
  }
}

/** Relevance needs words to rank by; without them results come most recently updated first. */
const effectiveSort = (query: SearchQuery, hasText: boolean) => (query.sort === 'relevance' && !hasText ? 'updated' : query.sort);

const keywordFacetLimit = 30;

/** What a search knows independently of sort and page: the total, the facet counts, searchability. */
export type SearchFacets = Omit<SearchResult, 'results'>;

function emptyFacets(): Record<FacetName, FacetValue[]> {
  return Object.fromEntries(facetNames.map((n) => [n, [] as FacetValue[]])) as Record<FacetName, FacetValue[]>;
}

/** A query with text but no searchable words matches nothing (and says so). */
const unsearchable = (query: SearchQuery, terms: string[]) => query.q.trim() !== '' && terms.length === 0;

/** Runs a catalogue search: one page of results and facet counts over all matches. */
export async function searchCatalogue(db: DbOrTrx, query: SearchQuery): Promise<SearchResult> {
  const facets = await searchCatalogueFacets(db, query);
  return { ...facets, results: facets.searchable ? await searchCataloguePage(db, query) : [] };
}

/**
 * Facet counts (theme, publisher, licence, format, level, keyword) over every match, and the total
 * (the sum of the level facet: each dataset has one level) — one query. Independent of sort and page.
 */
export async function searchCatalogueFacets(db: DbOrTrx, query: SearchQuery): Promise<SearchFacets> {
  const terms = searchTerms(query.q);
  const facets = emptyFacets();
  if (unsearchable(query, terms)) return { total: 0, facets, searchable: false };

  const m = matchSql(db, query, terms, false);
  const whereSql = m.where.length ? ' WHERE ' + m.where.join(' AND ') : '';
  const everything = !m.hasText && m.where.length === 0;
  // Counts are grouped by key first and labelled afterwards; over the whole catalogue the link
  // tables are counted directly (their key indexes cover the GROUP BY).
  const matched = `SELECT d.id FROM ${m.from}${whereSql}`;
  const byDataset = everything ? 'pub_datasets d' : 'm JOIN pub_datasets d ON d.id = m.id';
  const link = (table: string) => (everything ? `${table} x` : `m JOIN ${table} x ON x.dataset_id = m.id`);
  const facetSql = `${everything ? '' : `WITH m AS (${matched}) `}
    SELECT 'level' AS f, a.k AS v, a.k AS l, a.c AS c FROM (SELECT d.sensitivity_level AS k, COUNT(*) AS c FROM ${byDataset} GROUP BY d.sensitivity_level) a
    UNION ALL SELECT 'theme', t.slug, t.title, a.c FROM (SELECT x.theme_id AS k, COUNT(*) AS c FROM ${link('pub_dataset_themes')} GROUP BY x.theme_id) a JOIN themes t ON t.id = a.k
    UNION ALL SELECT 'publisher', p.slug, p.name, a.c FROM (SELECT d.publisher_id AS k, COUNT(*) AS c FROM ${byDataset} GROUP BY d.publisher_id) a JOIN publishers p ON p.id = a.k
    UNION ALL SELECT 'licence', l.id, l.title, a.c FROM (SELECT d.licence_id AS k, COUNT(*) AS c FROM ${byDataset} GROUP BY d.licence_id) a JOIN licences l ON l.id = a.k
    UNION ALL SELECT 'format', a.k, a.k, a.c FROM (SELECT x.format AS k, COUNT(*) AS c FROM ${link('pub_dataset_formats')} GROUP BY x.format) a
    UNION ALL SELECT 'keyword', a.k, a.k, a.c FROM (SELECT x.keyword AS k, COUNT(*) AS c FROM ${link('pub_dataset_keywords')} GROUP BY x.keyword) a`;
  const facetRows = rowsOf(await db.raw(facetSql, everything ? [] : m.bindings)) as Array<{ f: FacetName; v: string; l: string; c: number | string }>;
  let total = 0;
  for (const r of facetRows) {
    const count = Number(r.c);
    facets[r.f].push({ value: r.v, label: r.l, count });
    if (r.f === 'level') total += count;
  }
  for (const name of facetNames) {
    facets[name].sort((a, b) => b.count - a.count || a.label.localeCompare(b.label));
  }
  facets.keyword = facets.keyword.slice(0, keywordFacetLimit);
  return { total, facets, searchable: true };
}

const pageColumns = `d.id, d.slug, d.title, d.summary, d.licence_id, d.sensitivity_level, d.metadata_only,
      d.modified_at, d.published_at, d.download_count, p.slug AS publisher_slug, p.name AS publisher_name`;

/** One page of results in the query's order — one query. */
export async function searchCataloguePage(db: DbOrTrx, query: SearchQuery): Promise<PublicDatasetSummary[]> {
  const terms = searchTerms(query.q);
  if (unsearchable(query, terms)) return [];
  const offset = (query.page - 1) * query.perPage;
  const m = matchSql(db, query, terms, effectiveSort(query, terms.length > 0) === 'relevance');
  const whereSql = m.where.length ? ' WHERE ' + m.where.join(' AND ') : '';
  const pageSql = `SELECT ${pageColumns}
    FROM ${m.from} JOIN publishers p ON p.id = d.publisher_id${whereSql}
    ORDER BY ${orderBy(db, query, m.hasText)} LIMIT ? OFFSET ?`;
  const rows = rowsOf(await db.raw(pageSql, [...m.bindings, query.perPage, offset])) as Array<Record<string, unknown>>;
  return rows.map(summaryFromRow);
}

/** Maps a pub_datasets row joined with its publisher to the summary shape. */
export function summaryFromRow(r: Record<string, unknown>): PublicDatasetSummary {
  return {
    id: Number(r.id),
    slug: String(r.slug),
    title: String(r.title),
    summary: String(r.summary),
    publisher: { slug: String(r.publisher_slug), name: String(r.publisher_name) },
    licenceId: String(r.licence_id),
    sensitivityLevel: r.sensitivity_level as SensitivityLevel,
    metadataOnly: r.metadata_only === true || r.metadata_only === 1,
    modifiedAt: String(r.modified_at),
    publishedAt: String(r.published_at),
    downloadCount: Number(r.download_count),
  };
}

/** The text a dataset is found by. */
export interface SearchDocument {
  title: string;
  summary: string;
  description: string;
  keywords: string[];
  publisher: string;
  themes: string[];
}

/** (Re)indexes one published dataset; call inside the publishing transaction. */
export async function indexPublicDataset(db: DbOrTrx, id: number, doc: SearchDocument): Promise<void> {
  if (dialectOf(db) === 'pg') {
    await db.raw(
      `UPDATE pub_datasets SET search_vector =
         setweight(to_tsvector('english', ?), 'A') ||
         setweight(to_tsvector('english', ?), 'B') ||
         setweight(to_tsvector('english', ?), 'C') ||
         setweight(to_tsvector('english', ?), 'D')
       WHERE id = ?`,
      [doc.title, doc.summary + ' ' + doc.keywords.join(' '), doc.publisher + ' ' + doc.themes.join(' '), doc.description, id],
    );
    return;
  }
  await db.raw('DELETE FROM pub_datasets_fts WHERE rowid = ?', [id]);
  await db.raw(
    'INSERT INTO pub_datasets_fts (rowid, title, summary, description, keywords, publisher, themes) VALUES (?, ?, ?, ?, ?, ?, ?)',
    [id, doc.title, doc.summary, doc.description, doc.keywords.join(' '), doc.publisher, doc.themes.join(' ')],
  );
}

/** Removes a dataset from the search index. */
export async function unindexPublicDataset(db: DbOrTrx, id: number): Promise<void> {
  if (dialectOf(db) === 'pg') return;
  await db.raw('DELETE FROM pub_datasets_fts WHERE rowid = ?', [id]);
}

const generationSql = 'SELECT generation FROM pub_generation WHERE id = 1';
const generationReaders = new WeakMap<ReadOnlySqlite, ReadOnlyStatement | null>();

/**
 * The generation statement on the read-only side connection of a file database (null for
 * :memory:, PostgreSQL or a transaction). Every search asks for the generation first, so this read
 * skips knex's pool and query machinery; in WAL mode each read sees the last committed generation,
 * exactly as the pooled connection would.
 */
function generationReader(db: DbOrTrx): ReadOnlyStatement | null {
  let conn: ReadOnlySqlite | undefined;
  try {
    conn = readOnlyConnectionOf(db);
  } catch {
    return null; // e.g. the file is not created yet: read through knex
  }
  if (!conn) return null;
  const known = generationReaders.get(conn);
  if (known !== undefined) return known;
  let reader: ReadOnlyStatement | null = null;
  try {
    reader = conn.prepare(generationSql).pluck(true);
  } catch {
    reader = null; // e.g. the table does not exist yet: read through knex
  }
  generationReaders.set(conn, reader);
  return reader;
}

/** The public catalogue's generation: every writer of pub_* tables bumps it in its transaction. */
export async function readPublicGeneration(db: DbOrTrx): Promise<number> {
  const reader = generationReader(db);
  if (reader) return Number(reader.get() ?? 0);
  const [row] = rowsOf(await db.raw(generationSql)) as Array<{ generation: number | string }>;
  return Number(row?.generation ?? 0);
}

/** knex.raw returns rows directly on SQLite and inside `.rows` on PostgreSQL. */
export function rowsOf(result: unknown): unknown[] {
  if (Array.isArray(result)) return result;
  return (result as { rows: unknown[] }).rows;
}
