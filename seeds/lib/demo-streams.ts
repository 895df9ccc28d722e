import type { Actor } from '../../src/auth/actor';
import type { ActionContext } from '../../src/auth/auth-context';
import type { Db } from '../../src/db/knex';
import { insertReadingsDirect } from '../../src/streams/reading.repository';
import { simulatedValue } from '../../src/streams/simulator';
import { closeDueIntervals } from '../../src/streams/stream-release.service';
import { insertDevice } from '../../src/streams/stream.repository';
import { approveRollupPolicy, createStream } from '../../src/streams/stream.service';
import type { StreamDefinition } from '../../src/streams/stream.schemas';
import { Rng } from './rng';

/**
 * The demo city's live sensor streams: air quality and car-park occupancy (public: raw readings and
 * hourly/daily summaries) and household electricity from the smart-meter pilot (personal: only
 * daily totals per ward over at least 10 households, with a standing approval by a second
 * steward). A few hours of deterministic history are released at seed time, so the catalogue has
 * stream releases before any device has sent anything; `PLAZA_SIMULATE=1` keeps them fed.
 */

/** When the seeded history ends: every interval before it is released by the seed. */
export const demoStreamHistoryEnd = Date.parse('2026-11-20T00:00:00Z');

/** Demo stewards of the energy partnership (defining and approving the smart-meter policy). */
const definer: Actor = { kind: 'system', id: 'demo:energy-steward-1' };
const approver: Actor = { kind: 'system', id: 'demo:energy-steward-2' };
const seedActor: Actor = { kind: 'system', id: 'system' };
const ctx = (actor: Actor): ActionContext => ({ actor, requestId: null, client: null });

/** Stream definitions of the demo city. */
export const demoStreams: StreamDefinition[] = [
  {
    slug: 'air-quality-live', title: 'Live air quality', summary: 'PM2.5, PM10 and NO2 from six roadside sensors, published every hour.',
    description: 'Readings from Environmental Health’s low-cost sensors as they arrive, with hourly and daily means, minimums and maximums per sensor.',
    publisher: 'environmental-health', level: 'public', licence: 'OGL-UK-3.0', themes: ['environment'], keywords: ['air quality', 'pm2.5', 'no2', 'live'],
    measures: [
      { name: 'pm25', title: 'PM2.5', unit: 'µg/m³', min: 0, max: 500 },
      { name: 'pm10', title: 'PM10', unit: 'µg/m³', min: 0, max: 1000 },
      { name: 'no2', title: 'Nitrogen dioxide', unit: 'µg/m³', min: 0, max: 1000 },
    ],
    rollup: { intervals: ['hour', 'day'], aggregates: ['mean', 'min', 'max'], spatial: { type: 'device' }, lateSeconds: 300 },
  },
  {
    slug: 'car-park-occupancy-live', title: 'Live car park occupancy', summary: 'Occupied and free spaces in five council car parks, published every hour.',
    description: 'Counts from the barrier systems as they change, with hourly means, minimums and maximums per car park.',
    publisher: 'transport-and-highways', level: 'public', licence: 'OGL-UK-3.0', themes: ['transport'], keywords: ['parking', 'car parks', 'live'],
    measures: [
      { name: 'occupied', title: 'Occupied spaces', unit: 'spaces', min: 0, max: 2000 },
      { name: 'free', title: 'Free spaces', unit: 'spaces', min: 0, max: 2000 },
    ],
    rollup: { intervals: ['hour'], aggregates: ['mean', 'min', 'max'], spatial: { type: 'device' }, lateSeconds: 300 },
  },
  {
    slug: 'household-energy-live', title: 'Household electricity use by ward (daily)', summary: 'Daily electricity used by homes in the smart-meter pilot, as totals per ward over at least 10 homes.',
    description: 'Half-hourly smart-meter readings stay private. Each day the portal publishes, per ward, the total and the mean per reading over the homes that reported, only where at least 10 homes did.',
    publisher: 'anytown-energy-partnership', level: 'personal', licence: 'OGL-UK-3.0', themes: ['energy'], keywords: ['smart meters', 'electricity', 'households'],
    measures: [{ name: 'kwh', title: 'Electricity used', unit: 'kWh', min: 0, max: 20 }],
    rollup: { intervals: ['day'], aggregates: ['sum', 'mean'], spatial: { type: 'ward' }, lateSeconds: 3600, minHouseholds: 10 },
  },
];

const airSites: Array<[string, string, number, number]> = [
  ['aq-high-street', 'High Street', 52.2053, 0.1218],
  ['aq-station-road', 'Station Road', 52.1946, 0.1374],
  ['aq-mill-lane', 'Mill Lane', 52.2011, 0.1162],
  ['aq-ring-road-north', 'Ring Road North', 52.2213, 0.1285],
  ['aq-hospital', 'Hospital entrance', 52.1755, 0.1402],
  ['aq-park-school', 'Park School', 52.2129, 0.1067],
];
const carParks: Array<[string, string, number, number, number]> = [
  ['cp-grand-arcade', 'Grand Arcade', 52.2033, 0.1199, 900],
  ['cp-queen-anne', 'Queen Anne Terrace', 52.2001, 0.1296, 520],
  ['cp-park-street', 'Park Street', 52.2091, 0.1187, 380],
  ['cp-station', 'Station', 52.1941, 0.1372, 640],
  ['cp-leisure-centre', 'Leisure Centre', 52.1989, 0.1302, 210],
];
/** Homes per ward in the pilot: the third ward has too few to publish. */
const meterWards: Array<[string, number]> = [
  ['Abbey', 14],
  ['Castle', 11],
  ['Market', 5],
];

/** Seeds the demo streams, their devices and history, and releases the history. */
export async function seedDemoStreams(db: Db, seed: number): Promise<{ streams: number; entries: number; readings: number }> {
  const rng = new Rng(seed + 8);
  const random = () => rng.next();
  const salt = () => `demo-${Math.floor(rng.next() * 2 ** 52).toString(36)}${Math.floor(rng.next() * 2 ** 52).toString(36)}`;
  let readings = 0;
  const add = async (streamId: number, key: string, label: string, lat: number | null, lon: number | null, ward: string | null) =>
    insertDevice(db, { streamId, key, label, lat, lon, ward, keySalt: salt(), keyHash: '', by: 'system', at: new Date(demoStreamHistoryEnd - 86_400_000).toISOString() });

  const [airDef, parkDef, energyDef] = demoStreams;
  const air = await createStream(db, ctx(seedActor), airDef, { now: demoStreamHistoryEnd - 3 * 3600_000 });
  const park = await createStream(db, ctx(seedActor), parkDef, { now: demoStreamHistoryEnd - 3 * 3600_000 });
  const energy = await createStream(db, ctx(definer), energyDef, { now: demoStreamHistoryEnd - 86_400_000 });
  await approveRollupPolicy(db, ctx(approver), energy.slug, energy.policyVersion);

  const rows: Parameters<typeof insertReadingsDirect>[1] = [];
  for (const [i, [key, label, lat, lon]] of airSites.entries()) {
    const id = await add(air.id, key, label, lat, lon, null);
    for (let at = demoStreamHistoryEnd - 3 * 3600_000 + 60_000 * (i + 1), n = 1; at < demoStreamHistoryEnd; at += 10 * 60_000, n++) {
      rows.push({ streamId: air.id, deviceId: id, seq: n, at, values: Object.fromEntries(air.measures.map((m) => [m.name, simulatedValue(m, at, i, random)])) });
    }
  }
  for (const [i, [key, label, lat, lon, capacity]] of carParks.entries()) {
    const id = await add(park.id, key, label, lat, lon, null);
    for (let at = demoStreamHistoryEnd - 3 * 3600_000 + 90_000 * (i + 1), n = 1; at < demoStreamHistoryEnd; at += 15 * 60_000, n++) {
      const occupied = Math.round(capacity * (0.3 + 0.4 * random()));
      rows.push({ streamId: park.id, deviceId: id, seq: n, at, values: { occupied, free: capacity - occupied } });
    }
  }
  let meter = 0;
  for (const [ward, homes] of meterWards) {
    for (let h = 0; h < homes; h++) {
      meter++;
      const id = await add(energy.id, `meter-${String(meter).padStart(3, '0')}`, '', null, null, ward);
      for (let at = demoStreamHistoryEnd - 86_400_000 + 60_000 * meter, n = 1; at < demoStreamHistoryEnd; at += 30 * 60_000, n++) {
        rows.push({ streamId: energy.id, deviceId: id, seq: n, at, values: { kwh: Math.round((0.1 + 0.5 * random()) * 1000) / 1000 } });
      }
    }
  }
  await insertReadingsDirect(db, rows);
  readings = rows.length;
  await closeDueIntervals(db, { now: demoStreamHistoryEnd + 3600_000 + 60_000, actor: 'system' });
  // Catalogue entries: every stream's rollups, and the raw readings of the public ones.
  const entries = demoStreams.length + demoStreams.filter((d) => d.level === 'public').length;
  return { streams: demoStreams.length, entries, readings };
}
