import type { Actor } from '../auth/actor';
import { can } from '../auth/policy';
import { getDatasetBySlug, type DatasetRecord } from '../catalogue/dataset.repository';
import type { DbOrTrx } from '../db/knex';
import { ForbiddenError, NotFoundError } from '../errors';

/**
 * Who may import into, classify and purge a dataset's sources, asked of the one policy
 * (src/auth/policy.ts): `source:manage` (a steward of the dataset's publisher, or an admin; a
 * token needs the `manage` scope) and `source:purge` (admins only). Whoever may not even read the
 * dataset's private side gets the same 404 as for a dataset that does not exist; whoever may read
 * it but not do this gets a 403 that says why.
 */

/** What the caller wants to do with the dataset's sources. */
export type SourceAccess = 'read' | 'manage' | 'purge';

/** The dataset, if the actor may do `need` with its sources; otherwise 404 (or 403 when they can see it). */
export async function datasetForSources(db: DbOrTrx, actor: Actor, slug: string, need: SourceAccess): Promise<DatasetRecord> {
  const dataset = await getDatasetBySlug(db, slug);
  const resource = dataset && { type: 'dataset' as const, publisherId: dataset.publisherId };
  if (!dataset || !resource || !can(actor, 'dataset:read_private', resource)) throw new NotFoundError('Dataset not found');
  if (need === 'read' || can(actor, need === 'purge' ? 'source:purge' : 'source:manage', resource)) return dataset;
  if (actor.kind === 'token' && !(actor.scopes ?? []).includes('manage')) {
    throw new ForbiddenError('This API token has only the read scope; importing and classifying need a token with the manage scope');
  }
  throw new ForbiddenError(need === 'purge' ? 'Only an administrator can purge source versions' : 'You may not import into or classify this dataset');
}

/** True when the actor may purge sources (to show or hide the purge form). */
export function mayPurge(actor: Actor): boolean {
  return can(actor, 'source:purge', { type: 'publishers' });
}
