import type { Actor } from '../auth/actor';
import { can } from '../auth/policy';
import { getDatasetBySlug, type DatasetRecord } from '../catalogue/dataset.repository';
import type { DbOrTrx } from '../db/knex';
import { ForbiddenError, NotFoundError } from '../errors';

/**
 * Who may import into, classify and purge a dataset's sources, built on the one policy
 * (src/auth/policy.ts): whoever may read the dataset's private side (a steward of its publisher,
 * or an admin) may import and classify — with a token only if it has the `manage` scope — and
 * only admins may purge. Anyone else gets the same 404 as for a dataset that does not exist.
 */

/** What the caller wants to do with the dataset's sources. */
export type SourceAccess = 'read' | 'manage' | 'purge';

/** The dataset, if the actor may do `need` with its sources; otherwise 404 (or 403 when they can see it). */
export async function datasetForSources(db: DbOrTrx, actor: Actor, slug: string, need: SourceAccess): Promise<DatasetRecord> {
  const dataset = await getDatasetBySlug(db, slug);
  if (!dataset || !can(actor, 'dataset:read_private', { type: 'dataset', publisherId: dataset.publisherId })) throw new NotFoundError('Dataset not found');
  if (need === 'read' || actor.kind === 'system') return dataset;
  if (actor.kind === 'token' && !(actor.scopes ?? []).includes('manage')) {
    throw new ForbiddenError('This API token has only the read scope; importing and classifying need a token with the manage scope');
  }
  if (need === 'purge' && actor.role !== 'admin') throw new ForbiddenError('Only an administrator can purge source versions');
  return dataset;
}

/** True when the actor may purge sources (to show or hide the purge form). */
export function mayPurge(actor: Actor): boolean {
  return actor.kind === 'system' || (actor.role === 'admin' && (actor.kind !== 'token' || (actor.scopes ?? []).includes('manage')));
}
