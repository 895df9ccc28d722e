import crypto from 'node:crypto';
import { EventEmitter } from 'node:events';
import { findPublicRelease, type PublicReleaseRef } from '../catalogue/public-catalogue.repository';
import type { ColumnSchema } from '../catalogue/table-schema';
import type { Db } from '../db/knex';
import { readReleaseBatches, type ReleaseRead } from '../db/release-reader';
import { GoneError, NotFoundError } from '../errors';
import { ChunkWriter } from './chunk-writer';
import { parseDownloadQuery, type DownloadQuery } from './download-query';
import { serializerFor, type DownloadFormat } from './serializers';

/**
 * Downloads of published releases: resolves the release, validates the query against its columns
 * and yields the file as a sequence of chunks read from the release table in keyset batches. The
 * HTTP route adds caching, compression and backpressure; nothing here holds a whole release.
 */

/** Everything the route needs to answer a download. */
export interface DownloadPlan {
  ref: PublicReleaseRef;
  format: DownloadFormat;
  query: DownloadQuery;
  /** The selected columns, in output order. */
  columns: ColumnSchema[];
  read: ReleaseRead;
  /** Strong entity tag (quoted) of the identity-encoded body. */
  etag: string;
  /** Known body length (only for the canonical CSV). */
  contentLength?: number;
  /** True for the whole release as CSV (with or without a BOM): the body a file cache may hold. */
  canonicalCsv: boolean;
  filename: string;
}

/** Tuning knobs (tests shrink batches to observe a download stopping early). */
export const downloadTuning: { batchRows?: number } = {};

/** Progress of downloads, for tests and metrics: `finished` with rows, batches and whether the client left. */
export const downloadEvents = new EventEmitter();
downloadEvents.setMaxListeners(100);

/** Outcome of one streamed download. */
export interface DownloadOutcome {
  releaseId: number;
  format: DownloadFormat;
  rows: number;
  batches: number;
  bytes: number;
  aborted: boolean;
  /** Served from the release's cached file instead of the database. */
  cached: boolean;
}

/** Resolves and validates a download: 404 for no such release, 410 if withdrawn, 400 for a bad query. */
export async function planDownload(
  db: Db,
  slug: string,
  version: number,
  format: DownloadFormat,
  rawQuery: Record<string, unknown>,
): Promise<DownloadPlan> {
  const ref = await findPublicRelease(db, slug, version);
  if (!ref) throw new NotFoundError('Release not found');
  const { release } = ref;
  if (release.status === 'withdrawn') {
    throw new GoneError(`Version ${release.version} of this dataset was withdrawn${release.withdrawnReason ? ': ' + release.withdrawnReason : ''}`);
  }
  const query = parseDownloadQuery(rawQuery, release.columns);
  const canonicalCsv = format === 'csv' && !query.shaped;
  const etag = canonicalCsv && !query.bom ? `"${release.checksum}"` : `"${derivedTag(release.checksum, format, query.canonical)}"`;
  return {
    ref,
    format,
    query,
    columns: query.select.map((i) => release.columns[i]),
    read: {
      table: release.tableName,
      columns: release.columns,
      select: query.select,
      filters: query.filters,
      sort: query.sort,
      limit: query.limit,
    },
    etag,
    contentLength: canonicalCsv ? release.byteSize + (query.bom ? 3 : 0) : undefined,
    canonicalCsv,
    filename: `${ref.dataset.slug}-v${release.version}.${format}`,
  };
}

function derivedTag(checksum: string, format: string, canonical: string): string {
  return crypto.createHash('sha256').update(`${checksum}\n${format}\n${canonical}`).digest('hex');
}

/**
 * The body of a download as chunks of about 128 KB (see chunk-writer.ts); stop iterating and the
 * reads stop. Each batch is serialised straight into the chunk buffer; a chunk is yielded as soon as
 * it is full, so the next batch is read only after the pump has taken (and the socket drained) it.
 */
export async function* downloadChunks(db: Db, plan: DownloadPlan, outcome: DownloadOutcome): AsyncGenerator<Buffer> {
  const serializer = serializerFor(plan.format, plan.columns, { bom: plan.query.bom });
  const out = new ChunkWriter();
  out.text(serializer.start());
  for await (const rows of readReleaseBatches(db, plan.read, downloadTuning.batchRows)) {
    outcome.rows += rows.length;
    outcome.batches++;
    serializer.write(rows, out);
    if (out.hasReady) yield* out.take();
  }
  out.text(serializer.end());
  out.flush();
  yield* out.take();
}

/**
 * The canonical CSV of a whole release (no BOM) as chunks: what its checksum is the SHA-256 of,
 * and what the file cache writes.
 */
export function canonicalCsvChunks(db: Db, plan: DownloadPlan): AsyncGenerator<Buffer> {
  if (!plan.canonicalCsv) throw new Error('not a canonical CSV download');
  const outcome: DownloadOutcome = { releaseId: plan.ref.release.id, format: 'csv', rows: 0, batches: 0, bytes: 0, aborted: false, cached: false };
  return downloadChunks(db, { ...plan, query: { ...plan.query, bom: false } }, outcome);
}
