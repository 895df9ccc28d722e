import { appendAudit } from '../audit/audit.repository';
import { personOf } from '../auth/actor';
import type { ActionContext } from '../auth/auth-context';
import { authorize, can, publisherScope } from '../auth/policy';
import { getDatasetBySlug } from '../catalogue/dataset.repository';
import { createDatasetIn } from '../catalogue/dataset.service';
import { getLicence, getPublisherBySlug, getThemesBySlugs, listPublishersWithCounts } from '../catalogue/reference.repository';
import type { Db } from '../db/knex';
import { ConflictError, NotFoundError, ValidationError } from '../errors';
import { defaultGatePolicy, type GatePolicy } from '../publishing/gate-policy';
import { alignDown } from './rollup';
import { deriveDeviceKey, formatCredential, keyHash, newSalt } from './signature';
import {
  definitionProblems,
  releaseIntervalMs,
  rollupSchema,
  sameRollup,
  streamDefinitionSchema,
  type RollupPolicy,
  type StreamDefinition,
} from './stream.schemas';
import {
  getDeviceByKey,
  getStreamById,
  getStreamBySlug,
  insertDevice,
  insertStream,
  listDevices,
  listStreams,
  lockStream,
  revokeDevice,
  setStreamApproval,
  updateStreamPolicy,
  type DeviceRecord,
  type StreamRecord,
} from './stream.repository';

/**
 * Defining streams, their rollup policy and its standing four-eyes approval, and the device
 * registry. Every change is authorized through the policy (stewards of the stream's publisher)
 * and audited in the same transaction.
 */

const zodMessage = (e: { issues: Array<{ path: PropertyKey[]; message: string }> }) => e.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');

/** Parses a stream definition or throws a 400 naming every problem. */
export function parseDefinition(input: unknown, gate: GatePolicy = defaultGatePolicy): StreamDefinition {
  const r = streamDefinitionSchema.safeParse(input);
  if (!r.success) throw new ValidationError(`The stream definition is not valid: ${zodMessage(r.error)}`);
  const problems = definitionProblems(r.data.level, r.data.measures, r.data.rollup, gate);
  if (problems.length) throw new ValidationError(`The stream definition is not valid: ${problems.join('; ')}`, { problems });
  return r.data;
}

/** A stream the actor may see, or 404. */
export async function streamFor(db: Db, ctx: ActionContext, slug: string, action: 'stream:read' | 'stream:manage' | 'stream:approve' = 'stream:read'): Promise<StreamRecord> {
  const s = await getStreamBySlug(db, slug);
  if (!s) throw new NotFoundError('Stream not found');
  authorize(ctx.actor, action, { type: 'dataset', publisherId: s.publisherId }, 'Stream not found');
  return s;
}

/** Streams the actor may see. */
export async function streamsFor(db: Db, ctx: ActionContext): Promise<StreamRecord[]> {
  const scope = publisherScope(ctx.actor);
  return listStreams(db, scope.all ? undefined : scope.publisherIds);
}

/**
 * The publishers the actor may define streams for (every one for admins), by name, for the
 * "Define a sensor stream" form; 404 when there is none (the page does not exist for them).
 */
export async function publishersForNewStream(db: Db, ctx: ActionContext): Promise<Array<{ slug: string; name: string }>> {
  const mine = (await listPublishersWithCounts(db)).filter((p) => can(ctx.actor, 'stream:manage', { type: 'dataset', publisherId: p.id }));
  if (!mine.length) throw new NotFoundError('Page not found');
  return mine.map((p) => ({ slug: p.slug, name: p.name }));
}

/** Devices of a stream the actor may see. */
export async function devicesFor(db: Db, ctx: ActionContext, slug: string): Promise<{ stream: StreamRecord; devices: DeviceRecord[] }> {
  const stream = await streamFor(db, ctx, slug);
  return { stream, devices: await listDevices(db, stream.id) };
}

/**
 * Creates a stream: its catalogue dataset (rollups), for public streams a second dataset for the
 * raw readings, and the stream with its watermark at the start of the current release interval.
 */
export async function createStream(db: Db, ctx: ActionContext, input: unknown, options: { now?: number; gate?: GatePolicy } = {}): Promise<StreamRecord> {
  const def = parseDefinition(input, options.gate);
  const publisher = await getPublisherBySlug(db, def.publisher);
  if (!publisher) throw new ValidationError(`publisher: no publisher with the slug "${def.publisher}"`);
  authorize(ctx.actor, 'stream:manage', { type: 'dataset', publisherId: publisher.id }, `publisher: no publisher with the slug "${def.publisher}"`);
  if (!(await getLicence(db, def.licence))) throw new ValidationError(`licence: no licence "${def.licence}"`);
  const themes = await getThemesBySlugs(db, def.themes);
  const missingTheme = def.themes.find((t) => !themes.some((x) => x.slug === t));
  if (missingTheme) throw new ValidationError(`themes: no theme "${missingTheme}"`);
  const readingsSlug = `${def.slug}-readings`;
  for (const slug of def.level === 'public' ? [def.slug, readingsSlug] : [def.slug]) {
    if ((await getDatasetBySlug(db, slug)) || (await getStreamBySlug(db, slug))) throw new ConflictError(`slug: "${slug}" is already taken by a dataset or stream`);
  }
  const now = options.now ?? Date.now();
  const at = new Date(now).toISOString();
  const finest = releaseIntervalMs(def.rollup);
  const frequency = finest <= 3_600_000 ? 'hourly' : finest <= 86_400_000 ? 'daily' : 'weekly';
  // Created like every other dataset (audited as dataset.created), with a stream's catalogue metadata.
  const dataset = (d: { slug: string; title: string; summary: string; description: string }) => ({
    ...d,
    publisherSlug: publisher.slug,
    level: def.level,
    metadata: {
      licenceId: def.licence,
      updateFrequency: frequency,
      spatialCoverage: 'Anytown borough',
      contactEmail: publisher.email ?? null,
      themeIds: themes.map((t) => t.id),
      keywords: [...new Set([...def.keywords, 'sensor stream'])],
    },
    at,
    actor: ctx.actor.id,
    requestId: ctx.requestId,
    client: ctx.client,
    via: 'stream' as const,
  });
  const id = await db.transaction(async (trx) => {
    const rollups = await createDatasetIn(trx, dataset({ slug: def.slug, title: def.title, summary: def.summary, description: def.description }));
    const raw =
      def.level === 'public'
        ? await createDatasetIn(
            trx,
            dataset({
              slug: readingsSlug,
              title: `${def.title}: raw readings`,
              summary: `Every reading of the ${def.title} stream, as the devices sent it.`,
              description: `The raw readings behind [${def.title}](/datasets/${def.slug}), one release per ${frequency === 'hourly' ? 'hour' : 'interval'}.`,
            }),
          )
        : null;
    const datasetId = rollups.id;
    const readingsDatasetId = raw?.id ?? null;
    const streamId = await insertStream(trx, {
      slug: def.slug,
      datasetId,
      readingsDatasetId,
      level: def.level,
      measures: def.measures,
      rollup: def.rollup,
      by: personOf(ctx.actor),
      at,
      closedUntil: alignDown(now, finest),
    });
    await appendAudit(trx, {
      actor: ctx.actor.id,
      action: 'ingest.stream_created',
      objectType: 'stream',
      objectId: streamId,
      requestId: ctx.requestId,
      client: ctx.client,
      datasetId,
      details: { stream: def.slug, level: def.level, measures: def.measures.map((m) => m.name), rollup: def.rollup, readingsDataset: readingsDatasetId ? readingsSlug : null },
    });
    return streamId;
  });
  return (await getStreamBySlug(db, def.slug)) ?? Promise.reject(new Error(`stream ${id} vanished`));
}

/** What `updateRollupPolicy` needs besides the policy. */
export interface PolicyUpdateOptions {
  gate?: GatePolicy;
  /**
   * The policy version the change was made against (the web form always sends it; optional in
   * the API): when the policy has changed since, the update is refused with a 409.
   */
  policyVersion?: number;
}

/**
 * Replaces a stream's rollup policy: a new policy version, and any standing approval is void
 * (audited as stream.policy_updated). A change made against an outdated version is refused
 * (409 naming the current one). A policy the same as the current one is not saved — no new
 * version, no audit entry, the approval stands — and `changed` is false.
 */
export async function updateRollupPolicy(
  db: Db,
  ctx: ActionContext,
  slug: string,
  input: unknown,
  options: PolicyUpdateOptions = {},
): Promise<{ stream: StreamRecord; changed: boolean }> {
  const stream = await streamFor(db, ctx, slug, 'stream:manage');
  const r = rollupSchema.safeParse(input);
  if (!r.success) throw new ValidationError(`The rollup policy is not valid: ${zodMessage(r.error)}`);
  const rollup: RollupPolicy = r.data;
  // Level, measures and the finest interval never change, so these checks hold whatever version is current.
  const problems = definitionProblems(stream.level, stream.measures, rollup, options.gate ?? defaultGatePolicy);
  if (problems.length) throw new ValidationError(`The rollup policy is not valid: ${problems.join('; ')}`, { problems });
  if (releaseIntervalMs(rollup) !== releaseIntervalMs(stream.rollup)) {
    throw new ValidationError('rollup.intervals: the finest interval cannot change once a stream exists (its releases follow it); create a new stream instead');
  }
  const unchanged = await db.transaction(async (trx) => {
    await lockStream(trx, stream.id);
    // The version and the policy as they are now, under the lock: another steward may have saved meanwhile.
    const current = (await getStreamById(trx, stream.id))!;
    if (options.policyVersion !== undefined && options.policyVersion !== current.policyVersion) {
      throw new ConflictError(
        `The policy changed while you were editing it (you edited version ${options.policyVersion}; it is now version ${current.policyVersion}): check your change against the current policy and save again`,
      );
    }
    if (sameRollup(rollup, current.rollup)) return current;
    await updateStreamPolicy(trx, current.id, rollup, personOf(ctx.actor), new Date().toISOString());
    await appendAudit(trx, {
      actor: ctx.actor.id,
      action: 'stream.policy_updated',
      objectType: 'stream',
      objectId: current.id,
      requestId: ctx.requestId,
      client: ctx.client,
      datasetId: current.datasetId,
      details: { stream: slug, before: current.rollup, after: rollup, policyVersion: current.policyVersion + 1, approvalVoided: current.approvedBy !== null },
    });
    return null;
  });
  // Unchanged: the stream as read under the lock; changed: as saved.
  return unchanged ? { stream: unchanged, changed: false } : { stream: (await getStreamBySlug(db, slug))!, changed: true };
}

/** True when the stream's current policy carries a standing approval by a second steward. */
export function hasStandingApproval(s: StreamRecord): boolean {
  return s.approvedBy !== null && s.approvedPolicyVersion === s.policyVersion && s.approvedBy !== s.policyBy;
}

/**
 * A second steward's standing approval of a personal stream's rollup policy: automatic releases
 * then carry (definer, approver) as their four-eyes approval until the policy changes.
 */
export async function approveRollupPolicy(db: Db, ctx: ActionContext, slug: string, policyVersion?: number): Promise<StreamRecord> {
  const stream = await streamFor(db, ctx, slug, 'stream:approve');
  if (stream.level !== 'personal') throw new ConflictError('Only personal streams need a standing approval; public streams publish automatically');
  if (policyVersion !== undefined && policyVersion !== stream.policyVersion) {
    throw new ConflictError(`The policy changed since you reviewed it (version ${policyVersion}; now ${stream.policyVersion}): review it again`);
  }
  if (personOf(ctx.actor) === stream.policyBy) throw new ConflictError('You defined this rollup policy: a second steward must approve it');
  if (hasStandingApproval(stream)) throw new ConflictError(`Policy version ${stream.policyVersion} is already approved by ${stream.approvedBy}`);
  await db.transaction(async (trx) => {
    await lockStream(trx, stream.id);
    await setStreamApproval(trx, stream.id, personOf(ctx.actor), new Date().toISOString(), stream.policyVersion);
    await appendAudit(trx, {
      actor: ctx.actor.id,
      action: 'stream.policy_approved',
      objectType: 'stream',
      objectId: stream.id,
      requestId: ctx.requestId,
      client: ctx.client,
      datasetId: stream.datasetId,
      details: { stream: slug, policyVersion: stream.policyVersion, definedBy: stream.policyBy, rollup: stream.rollup },
    });
  });
  return (await getStreamBySlug(db, slug))!;
}

/** Input for a new device. */
export interface NewDevice {
  key: string;
  label?: string;
  lat?: number | null;
  lon?: number | null;
  ward?: string | null;
}

/** Registers a device; returns it with its credential (shown once, never stored). */
export async function addDevice(db: Db, ctx: ActionContext, secret: string, slug: string, d: NewDevice): Promise<{ device: DeviceRecord; credential: string }> {
  const stream = await streamFor(db, ctx, slug, 'stream:manage');
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(d.key)) throw new ValidationError('key: lower-case letters, digits and hyphens, at most 63 (it is also the MQTT topic level and user name)');
  if ((d.lat === null || d.lat === undefined) !== (d.lon === null || d.lon === undefined)) throw new ValidationError('lat and lon: give both or neither');
  if (d.lat !== undefined && d.lat !== null && (d.lat < -90 || d.lat > 90 || !Number.isFinite(d.lat))) throw new ValidationError('lat: must be between -90 and 90');
  if (d.lon !== undefined && d.lon !== null && (d.lon < -180 || d.lon > 180 || !Number.isFinite(d.lon))) throw new ValidationError('lon: must be between -180 and 180');
  if (await getDeviceByKey(db, d.key)) throw new ConflictError(`key: a device "${d.key}" already exists (device keys are unique across streams)`);
  const salt = newSalt();
  const key = deriveDeviceKey(secret, salt);
  const at = new Date().toISOString();
  await db.transaction(async (trx) => {
    const id = await insertDevice(trx, { streamId: stream.id, key: d.key, label: d.label ?? '', lat: d.lat ?? null, lon: d.lon ?? null, ward: d.ward ?? null, keySalt: salt, keyHash: keyHash(key), by: ctx.actor.id, at });
    await appendAudit(trx, {
      actor: ctx.actor.id,
      action: 'ingest.device_added',
      objectType: 'device',
      objectId: id,
      requestId: ctx.requestId,
      client: ctx.client,
      datasetId: stream.datasetId,
      // A personal stream's device location and ward identify a household: not in the audit details.
      details: stream.level === 'public' ? { stream: slug, device: d.key, lat: d.lat ?? null, lon: d.lon ?? null } : { stream: slug, device: d.key },
    });
  });
  const device = (await getDeviceByKey(db, d.key))!;
  return { device, credential: formatCredential(device.key, key) };
}

/** The credential of an existing device, re-derived (CLI simulator and operators with the deployment secret only). */
export function credentialOf(secret: string, device: DeviceRecord): string {
  return formatCredential(device.key, deriveDeviceKey(secret, device.keySalt));
}

/** Revokes a device: its credential stops working at once in this process, within seconds elsewhere. */
export async function revokeDeviceCredential(db: Db, ctx: ActionContext, slug: string, deviceKey: string, reason = ''): Promise<DeviceRecord> {
  const stream = await streamFor(db, ctx, slug, 'stream:manage');
  const device = await getDeviceByKey(db, deviceKey);
  if (!device || device.streamId !== stream.id) throw new NotFoundError('Device not found');
  if (device.revokedAt) throw new ConflictError(`Device "${deviceKey}" is already revoked`);
  await db.transaction(async (trx) => {
    await revokeDevice(trx, device.id, ctx.actor.id, new Date().toISOString());
    await appendAudit(trx, {
      actor: ctx.actor.id,
      action: 'ingest.device_revoked',
      objectType: 'device',
      objectId: device.id,
      requestId: ctx.requestId,
      client: ctx.client,
      datasetId: stream.datasetId,
      details: { stream: slug, device: deviceKey, reason },
    });
  });
  return (await getDeviceByKey(db, deviceKey))!;
}
