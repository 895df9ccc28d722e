import type { DbOrTrx } from '../db/knex';
import type { Reading } from './rollup';
import type { Measure, StreamLevel } from './stream.schemas';

/**
 * What the public live pages may read about streams, and nothing more: streams whose catalogue
 * entry is published (titles from the public snapshot, never the working metadata), and the
 * devices and recent readings of **public** streams only — every device or reading query is
 * joined to `streams.level = 'public'`, so a personal stream's readings cannot be selected here.
 */

/** A stream as the public sees it. */
export interface LiveStream {
  id: number;
  slug: string;
  title: string;
  summary: string;
  level: StreamLevel;
  measures: Measure[];
  intervals: string[];
  readingsSlug: string | null;
}

/** A public stream's device with its position. */
export interface LiveDevice {
  id: number;
  key: string;
  label: string;
  lat: number | null;
  lon: number | null;
}

function liveFrom(r: Record<string, unknown>): LiveStream {
  const rollup = JSON.parse(String(r.rollup_json)) as { intervals: string[] };
  return {
    id: Number(r.id),
    slug: String(r.slug),
    title: String(r.title),
    summary: String(r.summary ?? ''),
    level: r.level as StreamLevel,
    measures: JSON.parse(String(r.measures_json)) as Measure[],
    intervals: rollup.intervals,
    readingsSlug: r.readings_slug ? String(r.readings_slug) : null,
  };
}

const published = (db: DbOrTrx) =>
  db('streams as s')
    .join('pub_datasets as p', 'p.id', 's.dataset_id')
    .leftJoin('pub_datasets as pr', 'pr.id', 's.readings_dataset_id')
    .select('s.id', 's.slug', 's.level', 's.measures_json', 's.rollup_json', 'p.title', 'p.summary', 'pr.slug as readings_slug');

/** Streams with a published catalogue entry. */
export async function listLiveStreams(db: DbOrTrx): Promise<LiveStream[]> {
  return (await published(db).orderBy('p.title')).map(liveFrom);
}

/** One stream with a published catalogue entry. */
export async function getLiveStream(db: DbOrTrx, slug: string): Promise<LiveStream | undefined> {
  const r = await published(db).where('s.slug', slug).first();
  return r ? liveFrom(r) : undefined;
}

/** The active devices of a public stream (none for any other level). */
export async function publicStreamDevices(db: DbOrTrx, streamId: number): Promise<LiveDevice[]> {
  const rows = (await db('stream_devices as d')
    .join('streams as s', 's.id', 'd.stream_id')
    .where({ 'd.stream_id': streamId, 's.level': 'public' })
    .whereNull('d.revoked_at')
    .orderBy('d.device_key')
    .select('d.id', 'd.device_key', 'd.label', 'd.lat', 'd.lon')) as Array<Record<string, unknown>>;
  return rows.map((r) => ({ id: Number(r.id), key: String(r.device_key), label: String(r.label ?? ''), lat: r.lat === null ? null : Number(r.lat), lon: r.lon === null ? null : Number(r.lon) }));
}

/** A public stream's readings since `from` (none for any other level), at most `limit`, newest last. */
export async function publicStreamRecentReadings(db: DbOrTrx, streamId: number, from: number, limit = 20_000): Promise<Reading[]> {
  const rows = (await db('stream_readings as r')
    .join('streams as s', 's.id', 'r.stream_id')
    .where({ 'r.stream_id': streamId, 's.level': 'public' })
    .andWhere('r.at', '>=', from)
    .orderBy('r.at', 'desc')
    .limit(limit)
    .select('r.device_id', 'r.at', 'r.values_json')) as Array<{ device_id: number; at: number | string; values_json: string }>;
  return rows.reverse().map((r) => ({ deviceId: Number(r.device_id), at: Number(r.at), values: JSON.parse(r.values_json) as Record<string, number | null> }));
}
