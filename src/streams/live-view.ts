import type { Reading } from './rollup';
import type { Measure } from './stream.schemas';
import type { LiveDevice } from './live.repository';

/**
 * What the live page shows, computed from recent readings (pure): the latest reading of each
 * device, a time series per measure (the mean over devices in fixed buckets) for the chart, and
 * device positions scaled into an SVG box.
 */

/** The latest reading per device. */
export function latestPerDevice(devices: LiveDevice[], readings: Reading[]): Array<LiveDevice & { latest: { time: string; values: Record<string, number | null> } | null }> {
  const last = new Map<number, Reading>();
  for (const r of readings) {
    const prev = last.get(r.deviceId);
    if (!prev || r.at >= prev.at) last.set(r.deviceId, r);
  }
  return devices.map((d) => {
    const r = last.get(d.id);
    return { ...d, latest: r ? { time: new Date(r.at).toISOString(), values: r.values } : null };
  });
}

/** Bucketed means per measure: uPlot's data layout (times in Unix seconds, one array per measure). */
export function seriesOf(measures: Measure[], readings: Reading[], bucketMs: number): { times: number[]; values: Record<string, Array<number | null>> } {
  const buckets = new Map<number, { sum: number[]; n: number[] }>();
  for (const r of readings) {
    const b = Math.floor(r.at / bucketMs) * bucketMs;
    let acc = buckets.get(b);
    if (!acc) buckets.set(b, (acc = { sum: measures.map(() => 0), n: measures.map(() => 0) }));
    measures.forEach((m, i) => {
      const v = r.values[m.name];
      if (typeof v === 'number') {
        acc.sum[i] += v;
        acc.n[i]++;
      }
    });
  }
  const keys = [...buckets.keys()].sort((a, b) => a - b);
  const values: Record<string, Array<number | null>> = {};
  measures.forEach((m, i) => {
    values[m.name] = keys.map((k) => {
      const acc = buckets.get(k)!;
      return acc.n[i] ? Math.round((acc.sum[i] / acc.n[i]) * 100) / 100 : null;
    });
  });
  return { times: keys.map((k) => k / 1000), values };
}

/** Device positions mapped into a width × height box (north up), with a margin. */
export function positions(devices: LiveDevice[], width: number, height: number, margin = 12): Array<{ key: string; label: string; x: number; y: number }> {
  const placed = devices.filter((d) => d.lat !== null && d.lon !== null);
  if (!placed.length) return [];
  const lats = placed.map((d) => d.lat!);
  const lons = placed.map((d) => d.lon!);
  const [minLat, maxLat, minLon, maxLon] = [Math.min(...lats), Math.max(...lats), Math.min(...lons), Math.max(...lons)];
  const spanLat = maxLat - minLat || 1e-6;
  const spanLon = maxLon - minLon || 1e-6;
  return placed.map((d) => ({
    key: d.key,
    label: d.label,
    x: Math.round(margin + ((d.lon! - minLon) / spanLon) * (width - 2 * margin)),
    y: Math.round(margin + ((maxLat - d.lat!) / spanLat) * (height - 2 * margin)),
  }));
}
