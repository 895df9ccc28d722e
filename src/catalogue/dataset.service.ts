import { appendAudit } from '../audit/audit.repository';
import type { Db, DbOrTrx } from '../db/knex';
import { ConflictError, ValidationError } from '../errors';
import { getDatasetBySlug, insertDataset, type DatasetRecord, type NewDataset } from './dataset.repository';
import { getPublisherBySlug } from './reference.repository';
import type { SensitivityLevel } from './table-schema';

/**
 * Creating a dataset's private record (the web API, `plaza import --create`, a new sensor
 * stream's datasets): it stays private until something is published.
 */

const datasetSlugPattern = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

export interface NewDatasetInput {
  slug: string;
  title: string;
  publisherSlug: string;
  level: SensitivityLevel;
  summary?: string;
  description?: string;
  /** Catalogue metadata beyond the defaults (a sensor stream's licence, themes, keywords, frequency…). */
  metadata?: Partial<Pick<NewDataset, 'licenceId' | 'updateFrequency' | 'spatialCoverage' | 'contactEmail' | 'themeIds' | 'keywords'>>;
  /** When it was created (default now). */
  at?: string;
  actor: string;
  requestId?: string | null;
  client?: string | null;
  via: 'api' | 'import' | 'stream';
}

/** Creates a dataset in the caller's transaction, audited as dataset.created; 409 when the slug is taken. */
export async function createDatasetIn(trx: DbOrTrx, input: NewDatasetInput): Promise<DatasetRecord> {
  if (!datasetSlugPattern.test(input.slug) || input.slug.length > 100) {
    throw new ValidationError('The dataset slug must be lower-case letters, digits and single hyphens, at most 100 characters', { parameter: 'slug' });
  }
  if (await getDatasetBySlug(trx, input.slug)) throw new ConflictError(`A dataset called "${input.slug}" already exists`);
  const publisher = await getPublisherBySlug(trx, input.publisherSlug);
  if (!publisher) throw new ValidationError(`There is no publisher "${input.publisherSlug}"`, { parameter: 'publisher' });
  const level = input.level;
  const id = await insertDataset(
    trx,
    {
      slug: input.slug,
      title: input.title,
      summary: input.summary ?? '',
      description: input.description ?? '',
      publisherId: publisher.id,
      licenceId: level === 'public' ? 'OGL-UK-3.0' : 'other-closed',
      updateFrequency: 'irregular',
      temporalStart: null,
      temporalEnd: null,
      spatialCoverage: null,
      contactName: null,
      contactEmail: null,
      sensitivityLevel: level,
      listMetadataOnly: level === 'confidential',
      accessRequest: '',
      themeIds: [],
      keywords: [],
      ...input.metadata,
    },
    input.at,
  );
  await appendAudit(trx, {
    actor: input.actor,
    action: 'dataset.created',
    objectType: 'dataset',
    objectId: id,
    requestId: input.requestId,
    client: input.client,
    details: { slug: input.slug, title: input.title, publisher: publisher.slug, level, via: input.via },
  });
  return (await getDatasetBySlug(trx, input.slug))!;
}

/** Creates a dataset in its own transaction. */
export function createDataset(db: Db, input: NewDatasetInput): Promise<DatasetRecord> {
  return db.transaction((trx) => createDatasetIn(trx, input));
}
