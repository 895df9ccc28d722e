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

/** SHA-256 over the canonical serialisation of an entry, which includes the previous entry's hash. */
export function hashAuditRecord(r: AuditRecord): string {
  const canonical = JSON.stringify([
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
  ]);
  return crypto.createHash('sha256').update(canonical).digest('hex');
}
