import type { DbOrTrx } from '../db/knex';

/**
 * Read-only queries over private datasets for the steward pages (`/manage/datasets`): which
 * datasets a set of publishers own, and a dataset's sources and releases (metadata only, never rows).
 */

/** A dataset in a steward's list. */
export interface ManagedDatasetSummary {
  id: number;
  slug: string;
  title: string;
  publisherId: number;
  publisherName: string;
  sensitivityLevel: string;
  state: string;
  modifiedAt: string;
}

/** A source version's metadata. */
export interface ManagedSource {
  version: number;
  filename: string;
  rowCount: number;
  columnCount: number;
  createdBy: string;
  createdAt: string;
}

/** A release record's metadata, in any workflow state. */
export interface ManagedRelease {
  version: number | null;
  state: string;
  rowCount: number | null;
  createdBy: string;
  createdAt: string;
  publishedAt: string | null;
}

/** Datasets of the given publishers (or all), by title. */
export async function listManagedDatasets(
  db: DbOrTrx,
  scope: { all: true } | { all: false; publisherIds: number[] },
  page: { offset: number; limit: number },
): Promise<{ datasets: ManagedDatasetSummary[]; total: number }> {
  const base = () => {
    const q = db('datasets as d').join('publishers as p', 'p.id', 'd.publisher_id');
    if (!scope.all) q.whereIn('d.publisher_id', scope.publisherIds.length ? scope.publisherIds : [-1]);
    return q;
  };
  const rows = (await base()
    .orderBy('d.title')
    .offset(page.offset)
    .limit(page.limit)
    .select('d.id', 'd.slug', 'd.title', 'd.publisher_id', 'p.name as publisher_name', 'd.sensitivity_level', 'd.state', 'd.modified_at')) as Record<string, unknown>[];
  const total = Number(((await base().count({ n: '*' }).first()) as { n: number | string }).n);
  return {
    total,
    datasets: rows.map((r) => ({
      id: Number(r.id),
      slug: String(r.slug),
      title: String(r.title),
      publisherId: Number(r.publisher_id),
      publisherName: String(r.publisher_name),
      sensitivityLevel: String(r.sensitivity_level),
      state: String(r.state),
      modifiedAt: String(r.modified_at),
    })),
  };
}

/** The publisher of a dataset, by slug (the first thing an object-level check needs). */
export async function datasetOwner(db: DbOrTrx, slug: string): Promise<{ id: number; publisherId: number } | undefined> {
  const row = (await db('datasets').where({ slug }).first('id', 'publisher_id')) as { id: number; publisher_id: number } | undefined;
  return row ? { id: Number(row.id), publisherId: Number(row.publisher_id) } : undefined;
}

/** A dataset's source versions (metadata only). */
export async function listManagedSources(db: DbOrTrx, datasetId: number): Promise<ManagedSource[]> {
  const rows = (await db('sources').where({ dataset_id: datasetId }).orderBy('version', 'desc')) as Record<string, unknown>[];
  return rows.map((r) => ({
    version: Number(r.version),
    filename: String(r.filename),
    rowCount: Number(r.row_count),
    columnCount: (JSON.parse(String(r.columns_json)) as unknown[]).length,
    createdBy: String(r.created_by),
    createdAt: String(r.created_at),
  }));
}

/** A dataset's release records (metadata only). */
export async function listManagedReleases(db: DbOrTrx, datasetId: number): Promise<ManagedRelease[]> {
  const rows = (await db('releases').where({ dataset_id: datasetId }).orderBy('id', 'desc')) as Record<string, unknown>[];
  return rows.map((r) => ({
    version: r.version === null ? null : Number(r.version),
    state: String(r.state),
    rowCount: r.row_count === null ? null : Number(r.row_count),
    createdBy: String(r.created_by),
    createdAt: String(r.created_at),
    publishedAt: (r.published_at as string | null) ?? null,
  }));
}

/** Publisher names by id. */
export async function publisherName(db: DbOrTrx, id: number): Promise<{ slug: string; name: string } | undefined> {
  return (await db('publishers').where({ id }).first('slug', 'name')) as { slug: string; name: string } | undefined;
}

/** Dataset ids and titles by slug, for the audit page's dataset filter. */
export async function datasetIdBySlug(db: DbOrTrx, slug: string): Promise<number | undefined> {
  const row = (await db('datasets').where({ slug }).first('id')) as { id: number } | undefined;
  return row ? Number(row.id) : undefined;
}
