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
 * Appends one entry to the audit chain inside the caller's transaction, so the entry and the
 * change it records commit together. Given the bare database it opens its own transaction.
 */
export async function appendAudit(db: DbOrTrx, input: AuditEntryInput): Promise<AuditEntry> {
  if (!isTransaction(db)) return (db as Db).transaction((trx) => appendAudit(trx, input));
  if (dialectOf(db) === 'pg') await db.raw('SELECT pg_advisory_xact_lock(?)', [pgAppendLock]);
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
  };
}
