import { getDatasetBySlug, type DatasetRecord } from '../catalogue/dataset.repository';
import type { Db } from '../db/knex';
import { NotFoundError } from '../errors';
import type { Actor } from './actor';
import {
  datasetOwner,
  listManagedDatasets,
  listManagedReleases,
  listManagedSources,
  publisherName,
  type ManagedDatasetSummary,
  type ManagedRelease,
  type ManagedSource,
} from './managed-dataset.repository';
import { authorize, publisherScope } from './policy';

/** A private dataset as a steward sees it. */
export interface ManagedDataset {
  dataset: DatasetRecord;
  publisher: { slug: string; name: string };
  sources: ManagedSource[];
  releases: ManagedRelease[];
}

/** The private datasets the actor may see (a steward's publishers', or all for admins). */
export async function listDatasetsFor(db: Db, actor: Actor, q: { page: number; perPage: number }): Promise<{ datasets: ManagedDatasetSummary[]; total: number }> {
  authorize(actor, 'dataset:list_private', { type: 'publishers' });
  return listManagedDatasets(db, publisherScope(actor), { offset: (q.page - 1) * q.perPage, limit: q.perPage });
}

/** One private dataset, if the actor may see it; otherwise exactly the same "not found" as a missing one. */
export async function getDatasetFor(db: Db, actor: Actor, slug: string): Promise<ManagedDataset> {
  const owner = await datasetOwner(db, slug);
  if (!owner) throw new NotFoundError('Dataset not found');
  authorize(actor, 'dataset:read_private', { type: 'dataset', publisherId: owner.publisherId }, 'Dataset not found');
  const dataset = await getDatasetBySlug(db, slug);
  if (!dataset) throw new NotFoundError('Dataset not found');
  const [publisher, sources, releases] = await Promise.all([
    publisherName(db, owner.publisherId),
    listManagedSources(db, owner.id),
    listManagedReleases(db, owner.id),
  ]);
  return { dataset, publisher: publisher ?? { slug: '', name: '' }, sources, releases };
}
