import { dialectOf, type Db, type DbOrTrx } from '../db/knex';
import type { AuditAction } from './audit.actions';
import { canonicalJson, genesisHash, hashAuditRecord, type AuditRecord } from './audit-hash';

/** What a caller records; the repository adds sequence, time and the hash link. */
export interface AuditEntryInput {
  actor: string;
  action: AuditAction;
  objectType?: string | null;
  objectId?: string | number | null;
  outcome?: 'success' | 'failure' | 'denied';
  requestId?: string | null;
  client?: string | null;
  details?: Record<string, unknown>;
  /** The dataset this entry concerns; defaults to objectId when objectType is `dataset`. */
  datasetId?: number | null;
}

/** A stored audit entry. */
export interface AuditEntry extends AuditRecord {
  hash: string;
}

/** Advisory-lock key that serialises appends on PostgreSQL (SQLite serialises with BEGIN IMMEDIATE). */
const pgAppendLock = 7261126;

function isTransaction(db: DbOrTrx): db is Db & { isTransaction: true } {
  return (db as { isTransaction?: boolean }).isTransaction === true;
}

/**
 * Takes the chain's append lock for the rest of the transaction (PostgreSQL advisory lock; on
 * SQLite the transaction's BEGIN IMMEDIATE already holds the write lock). Re-entrant.
 */
export async function lockAuditChain(trx: DbOrTrx): Promise<void> {
  if (dialectOf(trx) === 'pg') await trx.raw('SELECT pg_advisory_xact_lock(?)', [pgAppendLock]);
}

/**
 * Appends one entry to the audit chain inside the caller's transaction, so the entry and the
 * change it records commit together. Given the bare database it opens its own transaction.
 */
export async function appendAudit(db: DbOrTrx, input: AuditEntryInput): Promise<AuditEntry> {
  if (!isTransaction(db)) return (db as Db).transaction((trx) => appendAudit(trx, input));
  await lockAuditChain(db);
  const head = (await db('audit_log').select('seq', 'hash').orderBy('seq', 'desc').first()) as
    | { seq: number | string; hash: string }
    | undefined;
  const record: AuditRecord = {
    seq: head ? Number(head.seq) + 1 : 1,
    at: new Date().toISOString(),
    actor: input.actor,
    action: input.action,
    objectType: input.objectType ?? null,
    objectId: input.objectId === undefined || input.objectId === null ? null : String(input.objectId),
    outcome: input.outcome ?? 'success',
    requestId: input.requestId ?? null,
    client: input.client ?? null,
    details: canonicalJson(input.details ?? {}),
    prevHash: head ? head.hash : genesisHash,
    datasetId: await datasetIdOf(db, input),
  };
  const hash = hashAuditRecord(record);
  await db('audit_log').insert({
    seq: record.seq,
    at: record.at,
    actor: record.actor,
    action: record.action,
    object_type: record.objectType,
    object_id: record.objectId,
    outcome: record.outcome,
    request_id: record.requestId,
    client: record.client,
    details: record.details,
    prev_hash: record.prevHash,
    hash,
    dataset_id: record.datasetId,
  });
  return { ...record, hash };
}

/** Converts a stored row to the domain shape. */
export function auditFromRow(r: Record<string, unknown>): AuditEntry {
  return {
    seq: Number(r.seq),
    at: String(r.at),
    actor: String(r.actor),
    action: String(r.action),
    objectType: (r.object_type as string | null) ?? null,
    objectId: (r.object_id as string | null) ?? null,
    outcome: String(r.outcome),
    requestId: (r.request_id as string | null) ?? null,
    client: (r.client as string | null) ?? null,
    details: String(r.details),
    prevHash: String(r.prev_hash),
    hash: String(r.hash),
    datasetId: r.dataset_id === null || r.dataset_id === undefined ? null : Number(r.dataset_id),
  };
}

/**
 * The dataset an entry concerns: given explicitly, the object itself when it is a dataset, or the
 * dataset named by slug in the details (`details.dataset`), as the ingest and seed code record it.
 */
async function datasetIdOf(db: DbOrTrx, input: AuditEntryInput): Promise<number | null> {
  if (input.datasetId !== undefined && input.datasetId !== null) return input.datasetId;
  if (input.objectType === 'dataset' && input.objectId !== null && input.objectId !== undefined && /^\d+$/.test(String(input.objectId))) {
    return Number(input.objectId);
  }
  const slug = input.details?.dataset;
  if (typeof slug === 'string' && slug.length <= 100) {
    const row = (await db('datasets').where({ slug }).first('id')) as { id: number } | undefined;
    if (row) return Number(row.id);
  }
  return null;
}

/** The last entry's sequence number and hash (seq 0 and the genesis hash for an empty chain). */
export async function auditHead(db: DbOrTrx): Promise<{ seq: number; hash: string }> {
  const head = (await db('audit_log').select('seq', 'hash').orderBy('seq', 'desc').first()) as { seq: number | string; hash: string } | undefined;
  return head ? { seq: Number(head.seq), hash: head.hash } : { seq: 0, hash: genesisHash };
}

const batchSql =
  'SELECT seq, at, actor, action, object_type, object_id, outcome, request_id, client, details, prev_hash, hash, dataset_id FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?';

interface RawStatement {
  raw(on: boolean): RawStatement;
  all(...params: unknown[]): unknown[][];
}
interface KnexClientInternals {
  acquireConnection(): Promise<{ prepare(sql: string): RawStatement }>;
  releaseConnection(conn: unknown): Promise<void>;
}
const batchStatements = new WeakMap<object, RawStatement>();

function entryFromArray(r: unknown[]): AuditEntry {
  return {
    seq: Number(r[0]),
    at: String(r[1]),
    actor: String(r[2]),
    action: String(r[3]),
    objectType: (r[4] as string | null) ?? null,
    objectId: (r[5] as string | null) ?? null,
    outcome: String(r[6]),
    requestId: (r[7] as string | null) ?? null,
    client: (r[8] as string | null) ?? null,
    details: String(r[9]),
    prevHash: String(r[10]),
    hash: String(r[11]),
    datasetId: r[12] === null || r[12] === undefined ? null : Number(r[12]),
  };
}

/**
 * Up to `limit` entries after `afterSeq` in chain order: the keyset batches verification streams.
 * On SQLite (outside a transaction) it runs one prepared statement in raw (array) mode on a pooled
 * connection, which is several times faster than building row objects through the query builder.
 */
export async function readAuditBatch(db: DbOrTrx, afterSeq: number, limit: number): Promise<AuditEntry[]> {
  if (dialectOf(db) === 'sqlite' && !isTransaction(db)) {
    const client = db.client as unknown as KnexClientInternals;
    const conn = await client.acquireConnection();
    try {
      let stmt = batchStatements.get(conn);
      if (!stmt) {
        stmt = conn.prepare(batchSql).raw(true);
        batchStatements.set(conn, stmt);
      }
      return stmt.all(afterSeq, limit).map(entryFromArray);
    } finally {
      await client.releaseConnection(conn);
    }
  }
  const rows = (await db('audit_log').where('seq', '>', afterSeq).orderBy('seq', 'asc').limit(limit)) as Record<string, unknown>[];
  return rows.map(auditFromRow);
}

/** The entry with this sequence number. */
export async function getAuditEntry(db: DbOrTrx, seq: number): Promise<AuditEntry | undefined> {
  const row = (await db('audit_log').where({ seq }).first()) as Record<string, unknown> | undefined;
  return row ? auditFromRow(row) : undefined;
}

/** Which entries a query may return: everything, or only entries about some publishers' datasets. */
export type AuditVisibility = { all: true } | { all: false; publisherIds: number[] };

/** Filters of the audit pages and exports (already validated). */
export interface AuditFilter {
  actor?: string;
  /** An exact action (`user.created`) or a family (`user.*`). */
  action?: string;
  datasetId?: number;
  /** Inclusive lower and exclusive upper bound on the entry time (ISO 8601, UTC). */
  from?: string;
  to?: string;
}

function filtered(db: DbOrTrx, filter: AuditFilter, visibility: AuditVisibility) {
  const q = db('audit_log');
  if (filter.actor) q.where('actor', filter.actor);
  if (filter.action) {
    if (filter.action.endsWith('.*')) q.where('action', 'like', filter.action.slice(0, -1) + '%');
    else q.where('action', filter.action);
  }
  if (filter.datasetId !== undefined) q.where('dataset_id', filter.datasetId);
  if (filter.from) q.where('at', '>=', filter.from);
  if (filter.to) q.where('at', '<', filter.to);
  if (!visibility.all) {
    const ids = visibility.publisherIds.length ? visibility.publisherIds : [-1];
    q.whereIn('dataset_id', db('datasets').whereIn('publisher_id', ids).select('id'));
  }
  return q;
}

/** One page of entries, newest first, before the sequence number `beforeSeq` (keyset pagination). */
export async function queryAudit(
  db: DbOrTrx,
  filter: AuditFilter,
  visibility: AuditVisibility,
  page: { beforeSeq?: number; afterSeq?: number; limit: number },
): Promise<AuditEntry[]> {
  const q = filtered(db, filter, visibility);
  if (page.afterSeq !== undefined) {
    // Going back towards newer entries: read upwards, then present newest first.
    const rows = (await q.where('seq', '>', page.afterSeq).orderBy('seq', 'asc').limit(page.limit)) as Record<string, unknown>[];
    return rows.map(auditFromRow).reverse();
  }
  if (page.beforeSeq !== undefined) q.where('seq', '<', page.beforeSeq);
  const rows = (await q.orderBy('seq', 'desc').limit(page.limit)) as Record<string, unknown>[];
  return rows.map(auditFromRow);
}

/** True when some entry matching the filter has a sequence number beyond `seq` in that direction. */
export async function auditHasMore(db: DbOrTrx, filter: AuditFilter, visibility: AuditVisibility, seq: number, direction: 'older' | 'newer'): Promise<boolean> {
  const row = await filtered(db, filter, visibility)
    .where('seq', direction === 'older' ? '<' : '>', seq)
    .first('seq');
  return row !== undefined;
}

/** Every entry matching the filter in chain order, read in keyset batches (for streamed exports). */
export async function* iterateAudit(db: DbOrTrx, filter: AuditFilter, visibility: AuditVisibility, batchSize = 1000): AsyncGenerator<AuditEntry> {
  let after = 0;
  for (;;) {
    const rows = (await filtered(db, filter, visibility).where('seq', '>', after).orderBy('seq', 'asc').limit(batchSize)) as Record<string, unknown>[];
    for (const r of rows) yield auditFromRow(r);
    if (rows.length < batchSize) return;
    after = Number(rows[rows.length - 1].seq);
  }
}
