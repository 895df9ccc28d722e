import { appendAudit } from '../audit/audit.repository';
import type { Db } from '../db/knex';

/**
 * Download counting: one small transaction per download bumps the release's and the dataset's
 * counters (aggregates only, nothing about the client) and appends the audit entry, whose client
 * field is the keyed hash from clientRef() for anonymous downloads.
 */

/** What a download records. */
export interface DownloadRecord {
  releaseId: number;
  datasetId: number;
  actor: string;
  client: string;
  requestId?: string;
  details: Record<string, unknown>;
}

/** Counts a download and writes its audit entry, atomically. */
export async function recordDownload(db: Db, d: DownloadRecord): Promise<void> {
  await db.transaction(async (trx) => {
    await trx('pub_releases').where({ id: d.releaseId }).increment('download_count', 1);
    await trx('pub_datasets').where({ id: d.datasetId }).increment('download_count', 1);
    await appendAudit(trx, {
      actor: d.actor,
      action: 'download.release',
      objectType: 'release',
      objectId: d.releaseId,
      requestId: d.requestId,
      client: d.client,
      details: d.details,
    });
  });
}
