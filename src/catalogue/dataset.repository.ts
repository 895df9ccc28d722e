import { dialectOf, type DbOrTrx } from '../db/knex';
import type { SensitivityLevel } from './table-schema';

/**
 * The private side of the catalogue: datasets as stewards edit them, before and after anything is
 * published. Public code never imports this file (test/unit/architecture.test.ts checks that).
 */

/** A dataset's working metadata. */
export interface DatasetRecord {
  id: number;
  slug: string;
  title: string;
  summary: string;
  description: string;
  publisherId: number;
  licenceId: string;
  updateFrequency: string;
  temporalStart: string | null;
  temporalEnd: string | null;
  spatialCoverage: string | null;
  contactName: string | null;
  contactEmail: string | null;
  sensitivityLevel: SensitivityLevel;
  state: string;
  listMetadataOnly: boolean;
  accessRequest: string;
  createdAt: string;
  modifiedAt: string;
  themeSlugs: string[];
  keywords: string[];
}

/** Fields a steward supplies for a new dataset. */
export type NewDataset = Omit<DatasetRecord, 'id' | 'state' | 'createdAt' | 'modifiedAt' | 'themeSlugs' | 'keywords'> & {
  themeIds: number[];
  keywords: string[];
};

function fromRow(r: Record<string, unknown>, themeSlugs: string[], keywords: string[]): DatasetRecord {
  return {
    id: Number(r.id),
    slug: String(r.slug),
    title: String(r.title),
    summary: String(r.summary),
    description: String(r.description),
    publisherId: Number(r.publisher_id),
    licenceId: String(r.licence_id),
    updateFrequency: String(r.update_frequency),
    temporalStart: (r.temporal_start as string | null) ?? null,
    temporalEnd: (r.temporal_end as string | null) ?? null,
    spatialCoverage: (r.spatial_coverage as string | null) ?? null,
    contactName: (r.contact_name as string | null) ?? null,
    contactEmail: (r.contact_email as string | null) ?? null,
    sensitivityLevel: r.sensitivity_level as SensitivityLevel,
    state: String(r.state),
    listMetadataOnly: r.list_metadata_only === true || r.list_metadata_only === 1,
    accessRequest: String(r.access_request ?? ''),
    createdAt: String(r.created_at),
    modifiedAt: String(r.modified_at),
    themeSlugs,
    keywords,
  };
}

/** Creates a dataset with its themes and keywords; returns its id. */
export async function insertDataset(db: DbOrTrx, d: NewDataset, now = new Date().toISOString()): Promise<number> {
  const [row] = await db('datasets')
    .insert({
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
      state: 'draft',
      list_metadata_only: d.listMetadataOnly,
      access_request: d.accessRequest,
      created_at: now,
      modified_at: now,
    })
    .returning('id');
  const id = Number(typeof row === 'object' ? row.id : row);
  if (d.themeIds.length) await db('dataset_themes').insert(d.themeIds.map((themeId) => ({ dataset_id: id, theme_id: themeId })));
  const keywords = [...new Set(d.keywords.map((k) => k.trim().toLowerCase()).filter(Boolean))];
  if (keywords.length) await db('dataset_keywords').insert(keywords.map((keyword) => ({ dataset_id: id, keyword })));
  return id;
}

async function decorate(db: DbOrTrx, row: Record<string, unknown> | undefined): Promise<DatasetRecord | undefined> {
  if (!row) return undefined;
  const id = Number(row.id);
  const themes = await db('dataset_themes as x').join('themes as t', 't.id', 'x.theme_id').where('x.dataset_id', id).orderBy('t.slug').pluck('t.slug');
  const keywords = await db('dataset_keywords').where('dataset_id', id).orderBy('keyword').pluck('keyword');
  return fromRow(row, themes, keywords);
}

/** A dataset by id, whatever its state. */
export async function getDatasetById(db: DbOrTrx, id: number): Promise<DatasetRecord | undefined> {
  return decorate(db, await db('datasets').where({ id }).first());
}

/**
 * Locks a dataset's row for the rest of the transaction, so concurrent publishes of one dataset
 * queue (PostgreSQL row lock; SQLite transactions already hold the database write lock).
 */
export async function lockDataset(db: DbOrTrx, id: number): Promise<void> {
  if (dialectOf(db) === 'pg') await db('datasets').where({ id }).forUpdate().first('id');
}

/** A dataset by slug, whatever its state. */
export async function getDatasetBySlug(db: DbOrTrx, slug: string): Promise<DatasetRecord | undefined> {
  return decorate(db, await db('datasets').where({ slug }).first());
}

/** Sets a dataset's workflow state. */
export async function setDatasetState(db: DbOrTrx, id: number, state: string, now = new Date().toISOString()): Promise<void> {
  await db('datasets').where({ id }).update({ state, modified_at: now });
}
