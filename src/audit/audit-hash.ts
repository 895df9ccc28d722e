import crypto from 'node:crypto';

/** The fields of an audit entry that its hash covers, in stored form. */
export interface AuditRecord {
  seq: number;
  at: string;
  actor: string;
  action: string;
  objectType: string | null;
  objectId: string | null;
  outcome: string;
  requestId: string | null;
  client: string | null;
  details: string;
  prevHash: string;
  /** The dataset the entry concerns, when there is one (lets stewards see their datasets' history). */
  datasetId?: number | null;
}

/** Hash of the (non-existent) entry before the first one. */
export const genesisHash = '0'.repeat(64);

/** JSON with object keys sorted at every depth, so equal details always serialise identically. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return '[' + value.map(canonicalJson).join(',') + ']';
  const obj = value as Record<string, unknown>;
  return (
    '{' +
    Object.keys(obj)
      .filter((k) => obj[k] !== undefined)
      .sort()
      .map((k) => JSON.stringify(k) + ':' + canonicalJson(obj[k]))
      .join(',') +
    '}'
  );
}

/**
 * SHA-256 over the canonical serialisation of an entry, which includes the previous entry's hash.
 * The dataset id is appended only when present, so entries written before it existed keep their hash.
 */
export function hashAuditRecord(r: AuditRecord): string {
  const fields: unknown[] = [
    r.seq,
    r.at,
    r.actor,
    r.action,
    r.objectType,
    r.objectId,
    r.outcome,
    r.requestId,
    r.client,
    r.details,
    r.prevHash,
  ];
  if (r.datasetId !== undefined && r.datasetId !== null) fields.push(r.datasetId);
  const canonical = JSON.stringify(fields);
  return crypto.createHash('sha256').update(canonical).digest('hex');
}
