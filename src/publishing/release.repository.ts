import { ConflictError } from '../errors';
import type { ColumnSchema } from '../catalogue/table-schema';
import type { DbOrTrx } from '../db/knex';

/** Release records on the private side, in every workflow state. */

/** Next version number for a dataset's releases. */
export async function nextReleaseVersion(db: DbOrTrx, datasetId: number): Promise<number> {
  const row = (await db('releases').where({ dataset_id: datasetId }).max({ v: 'version' }).first()) as { v: number | null } | undefined;
  return Number(row?.v ?? 0) + 1;
}

/** Creates a release record; returns its id. */
export async function insertRelease(
  db: DbOrTrx,
  r: { datasetId: number; state: string; version: number | null; sourceId: number | null; policy: unknown; createdBy: string; notes: string },
): Promise<number> {
  const [row] = await db('releases')
    .insert({
      dataset_id: r.datasetId,
      state: r.state,
      version: r.version,
      source_id: r.sourceId,
      policy_json: r.policy === undefined || r.policy === null ? null : JSON.stringify(r.policy),
      created_by: r.createdBy,
      notes: r.notes,
      created_at: new Date().toISOString(),
    })
    .returning('id');
  return Number(typeof row === 'object' ? row.id : row);
}

/**
 * Moves an approved release of the workflow to "publishing" with its version number, inside the
 * publish transaction; refuses (409) unless it is still approved — with the given approval hash.
 */
export async function claimApprovedRelease(db: DbOrTrx, r: { id: number; datasetId: number; version: number; approvalHash?: string }): Promise<number> {
  const q = db('releases').where({ id: r.id, dataset_id: r.datasetId, state: 'approved' });
  if (r.approvalHash !== undefined) void q.andWhere({ approval_hash: r.approvalHash });
  const n = await q.update({ state: 'publishing', version: r.version });
  if (n === 0) throw new ConflictError('Not published: the release is no longer approved, or what was approved has changed');
  return r.id;
}

/** Records the materialised table and its figures on a release. */
export async function completeRelease(
  db: DbOrTrx,
  id: number,
  r: { tableName: string; rowCount: number; columns: ColumnSchema[]; checksum: string; byteSize: number; statement: string; risk: unknown; publishedAt: string },
): Promise<void> {
  await db('releases')
    .where({ id })
    .update({
      table_name: r.tableName,
      row_count: r.rowCount,
      columns_json: JSON.stringify(r.columns),
      checksum: r.checksum,
      byte_size: r.byteSize,
      statement: r.statement,
      risk_json: r.risk === undefined || r.risk === null ? null : JSON.stringify(r.risk),
      published_at: r.publishedAt,
      state: 'published',
    });
}

/** Marks a dataset's currently published releases superseded (before a new one is published). */
export async function supersedePublished(db: DbOrTrx, datasetId: number): Promise<void> {
  await db('releases').where({ dataset_id: datasetId, state: 'published' }).update({ state: 'superseded' });
}

/** A release's id and state by dataset and version. */
export async function getReleaseState(db: DbOrTrx, datasetId: number, version: number): Promise<{ id: number; state: string } | undefined> {
  const row = await db('releases').where({ dataset_id: datasetId, version }).first('id', 'state');
  return row ? { id: Number(row.id), state: String(row.state) } : undefined;
}

/** Moves a release to a new state (callers validate the move with workflow.nextState). */
export async function setReleaseState(db: DbOrTrx, id: number, state: string, extra: { withdrawnReason?: string } = {}): Promise<void> {
  await db('releases')
    .where({ id })
    .update({ state, ...(extra.withdrawnReason !== undefined ? { withdrawn_reason: extra.withdrawnReason } : {}) });
}
