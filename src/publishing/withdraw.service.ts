import { appendAudit } from '../audit/audit.repository';
import { getDatasetById, lockDataset } from '../catalogue/dataset.repository';
import type { Db } from '../db/knex';
import { ConflictError, NotFoundError, ValidationError } from '../errors';
import { markPublicReleaseWithdrawn, writePublicSnapshot } from './publication.repository';
import { getReleaseState, setReleaseState } from './release.repository';
import { nextState, TransitionError } from './workflow';

/**
 * Withdraws a published (or superseded) release: downloads then answer 410 Gone with the public
 * reason, while the catalogue record and its history stay. Audited in the same transaction.
 */
export async function withdrawRelease(
  db: Db,
  input: { datasetId: number; version: number; reason: string; actor: string; requestId?: string },
): Promise<void> {
  await db.transaction(async (trx) => {
    await lockDataset(trx, input.datasetId);
    const current = await getReleaseState(trx, input.datasetId, input.version);
    if (!current) throw new NotFoundError('Release not found');
    let state;
    try {
      state = nextState(current.state as Parameters<typeof nextState>[0], 'withdraw', input.reason);
    } catch (err) {
      if (err instanceof TransitionError) throw current.state === 'withdrawn' ? new ConflictError(err.message) : new ValidationError(err.message);
      throw err;
    }
    await setReleaseState(trx, current.id, state, { withdrawnReason: input.reason.trim() });
    await markPublicReleaseWithdrawn(trx, current.id, input.reason.trim());
    await appendAudit(trx, {
      actor: input.actor,
      action: 'release.withdrawn',
      objectType: 'release',
      objectId: current.id,
      requestId: input.requestId,
      details: { datasetId: input.datasetId, version: input.version, reason: input.reason.trim() },
    });
  });
}

/**
 * Lists a dataset in the public catalogue as a description only (no data): how confidential
 * datasets say that they exist and how to request access. Only confidential datasets, marked to
 * be listed, may be listed so; every other level publishes through a release. Audited.
 */
export async function publishMetadataOnly(db: Db, input: { datasetId: number; actor: string; requestId?: string }): Promise<void> {
  await db.transaction(async (trx) => {
    await lockDataset(trx, input.datasetId);
    const dataset = await getDatasetById(trx, input.datasetId);
    if (!dataset) throw new NotFoundError('Dataset not found');
    if (dataset.sensitivityLevel !== 'confidential') {
      throw new ValidationError('Only confidential datasets are listed as a description only; publish a release instead');
    }
    if (!dataset.listMetadataOnly) {
      throw new ValidationError('This confidential dataset is not marked to be listed; set "list as a description only" first');
    }
    await writePublicSnapshot(trx, dataset, { latestReleaseId: null, metadataOnly: true, formats: [], publishedAt: new Date().toISOString() });
    await appendAudit(trx, {
      actor: input.actor,
      action: 'dataset.metadata_published',
      objectType: 'dataset',
      objectId: dataset.id,
      requestId: input.requestId,
      details: { dataset: dataset.slug, metadataOnly: true },
    });
  });
}
