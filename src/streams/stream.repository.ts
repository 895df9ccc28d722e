import type { DbOrTrx } from '../db/knex';
import { dialectOf } from '../db/knex';
import type { DevicePlace, Measure, RollupPolicy, StreamLevel } from './stream.schemas';

/** Stream definitions and the device registry (private side). */

/** A stream as the services use it. */
export interface StreamRecord {
  id: number;
  slug: string;
  title: string;
  publisherId: number;
  datasetId: number;
  readingsDatasetId: number | null;
  level: StreamLevel;
  measures: Measure[];
  rollup: RollupPolicy;
  policyVersion: number;
  policyBy: string;
  policyAt: string;
  approvedBy: string | null;
  approvedAt: string | null;
  approvedPolicyVersion: number | null;
  closedUntil: number;
  blockedReason: string | null;
  createdBy: string;
  createdAt: string;
}

/** A registered device (never its key). */
export interface DeviceRecord extends DevicePlace {
  streamId: number;
  label: string;
  keySalt: string;
  keyHash: string;
  createdBy: string;
  createdAt: string;
  revokedAt: string | null;
  revokedBy: string | null;
}

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

function streamFrom(r: Record<string, unknown>): StreamRecord {
  return {
    id: Number(r.id),
    slug: String(r.slug),
    title: String(r.title),
    publisherId: Number(r.publisher_id),
    datasetId: Number(r.dataset_id),
    readingsDatasetId: num(r.readings_dataset_id),
    level: r.level as StreamLevel,
    measures: JSON.parse(String(r.measures_json)) as Measure[],
    rollup: JSON.parse(String(r.rollup_json)) as RollupPolicy,
    policyVersion: Number(r.policy_version),
    policyBy: String(r.policy_by),
    policyAt: String(r.policy_at),
    approvedBy: (r.approved_by as string | null) ?? null,
    approvedAt: (r.approved_at as string | null) ?? null,
    approvedPolicyVersion: num(r.approved_policy_version),
    closedUntil: Number(r.closed_until),
    blockedReason: (r.blocked_reason as string | null) ?? null,
    createdBy: String(r.created_by),
    createdAt: String(r.created_at),
  };
}

function deviceFrom(r: Record<string, unknown>): DeviceRecord {
  return {
    id: Number(r.id),
    streamId: Number(r.stream_id),
    key: String(r.device_key),
    label: String(r.label ?? ''),
    lat: num(r.lat),
    lon: num(r.lon),
    ward: (r.ward as string | null) ?? null,
    keySalt: String(r.key_salt),
    keyHash: String(r.key_hash),
    createdBy: String(r.created_by),
    createdAt: String(r.created_at),
    revokedAt: (r.revoked_at as string | null) ?? null,
    revokedBy: (r.revoked_by as string | null) ?? null,
  };
}

const streamSelect = (db: DbOrTrx) =>
  db('streams as s').join('datasets as d', 'd.id', 's.dataset_id').select('s.*', 'd.title', 'd.publisher_id');

/** Creates a stream; returns its id. */
export async function insertStream(
  db: DbOrTrx,
  s: { slug: string; datasetId: number; readingsDatasetId: number | null; level: StreamLevel; measures: Measure[]; rollup: RollupPolicy; by: string; at: string; closedUntil: number },
): Promise<number> {
  const [row] = await db('streams')
    .insert({
      slug: s.slug,
      dataset_id: s.datasetId,
      readings_dataset_id: s.readingsDatasetId,
      level: s.level,
      measures_json: JSON.stringify(s.measures),
      rollup_json: JSON.stringify(s.rollup),
      policy_version: 1,
      policy_by: s.by,
      policy_at: s.at,
      closed_until: s.closedUntil,
      created_by: s.by,
      created_at: s.at,
    })
    .returning('id');
  return Number(typeof row === 'object' ? row.id : row);
}

/** A stream by slug. */
export async function getStreamBySlug(db: DbOrTrx, slug: string): Promise<StreamRecord | undefined> {
  const r = await streamSelect(db).where('s.slug', slug).first();
  return r ? streamFrom(r) : undefined;
}

/** A stream by id. */
export async function getStreamById(db: DbOrTrx, id: number): Promise<StreamRecord | undefined> {
  const r = await streamSelect(db).where('s.id', id).first();
  return r ? streamFrom(r) : undefined;
}

/** Every stream, or those of the given publishers. */
export async function listStreams(db: DbOrTrx, publisherIds?: number[]): Promise<StreamRecord[]> {
  const q = streamSelect(db).orderBy('s.slug');
  if (publisherIds) q.whereIn('d.publisher_id', publisherIds.length ? publisherIds : [-1]);
  return (await q).map(streamFrom);
}

/** Locks a stream's row for the rest of the transaction (PostgreSQL; SQLite's BEGIN IMMEDIATE already serialises writers). */
export async function lockStream(db: DbOrTrx, id: number): Promise<void> {
  if (dialectOf(db) === 'pg') await db.raw('SELECT id FROM streams WHERE id = ? FOR UPDATE', [id]);
}

/** Replaces the rollup policy: a new policy version, and any standing approval is void. */
export async function updateStreamPolicy(db: DbOrTrx, id: number, rollup: RollupPolicy, by: string, at: string): Promise<void> {
  await db('streams')
    .where({ id })
    .update({ rollup_json: JSON.stringify(rollup), policy_by: by, policy_at: at, approved_by: null, approved_at: null, approved_policy_version: null, blocked_reason: null })
    .increment('policy_version', 1);
}

/** Records the standing approval of the current policy version. */
export async function setStreamApproval(db: DbOrTrx, id: number, by: string, at: string, policyVersion: number): Promise<void> {
  await db('streams').where({ id }).update({ approved_by: by, approved_at: at, approved_policy_version: policyVersion, blocked_reason: null });
}

/** Moves the watermark (every interval before it is closed) and clears or sets the blocked reason. */
export async function setClosedUntil(db: DbOrTrx, id: number, closedUntil: number): Promise<void> {
  await db('streams').where({ id }).update({ closed_until: closedUntil, blocked_reason: null });
}

/** Records why the next interval could not be released. */
export async function setBlockedReason(db: DbOrTrx, id: number, reason: string | null): Promise<void> {
  await db('streams').where({ id }).update({ blocked_reason: reason });
}

/** Adds a device; returns its id. */
export async function insertDevice(
  db: DbOrTrx,
  d: { streamId: number; key: string; label: string; lat: number | null; lon: number | null; ward: string | null; keySalt: string; keyHash: string; by: string; at: string },
): Promise<number> {
  const [row] = await db('stream_devices')
    .insert({ stream_id: d.streamId, device_key: d.key, label: d.label, lat: d.lat, lon: d.lon, ward: d.ward, key_salt: d.keySalt, key_hash: d.keyHash, created_by: d.by, created_at: d.at })
    .returning('id');
  return Number(typeof row === 'object' ? row.id : row);
}

/** A device by its key name. */
export async function getDeviceByKey(db: DbOrTrx, key: string): Promise<DeviceRecord | undefined> {
  const r = await db('stream_devices').where({ device_key: key }).first();
  return r ? deviceFrom(r) : undefined;
}

/** A stream's devices (revoked ones included), by key. */
export async function listDevices(db: DbOrTrx, streamId: number): Promise<DeviceRecord[]> {
  return (await db('stream_devices').where({ stream_id: streamId }).orderBy('device_key')).map(deviceFrom);
}

/** Revokes a device's credential. */
export async function revokeDevice(db: DbOrTrx, id: number, by: string, at: string): Promise<void> {
  await db('stream_devices').where({ id }).update({ revoked_at: at, revoked_by: by });
}
