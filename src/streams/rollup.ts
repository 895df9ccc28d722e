import { latLngToCell } from 'h3-js';
import type { CellValue, ColumnSchema } from '../catalogue/table-schema';
import type { GateEvidence } from '../publishing/gate';
import {
  intervalMinutes,
  sortedIntervals,
  type AggregateName,
  type DevicePlace,
  type IntervalName,
  type Measure,
  type RollupPolicy,
  type StreamLevel,
} from './stream.schemas';

/**
 * Rollups of sensor readings, pure (no I/O, property-tested): which intervals are closed, how
 * readings group in space, the aggregates per group and interval, household-threshold suppression
 * for personal streams (primary, and secondary across intervals so a coarser figure never
 * contains a hidden finer one), the release tables' columns and the gate's evidence.
 */

/** One stored reading. */
export interface Reading {
  deviceId: number;
  /** Epoch milliseconds (UTC). */
  at: number;
  values: Record<string, number | null>;
}

/** The start of the interval of length `ms` that contains `t` (intervals are aligned to the Unix epoch, UTC). */
export function alignDown(t: number, ms: number): number {
  return Math.floor(t / ms) * ms;
}

/**
 * Window starts that are closed at `now`: every aligned window [s, s + interval) with
 * s ≥ closedUntil whose end plus the late-arrival window has passed, oldest first, at most `limit`.
 * Resuming from the last window's end never skips or repeats one.
 */
export function closedWindows(closedUntil: number, now: number, intervalMs: number, lateMs: number, limit = Number.MAX_SAFE_INTEGER): number[] {
  const out: number[] = [];
  for (let s = alignDown(closedUntil, intervalMs); s + intervalMs + lateMs <= now && out.length < limit; s += intervalMs) {
    if (s >= closedUntil) out.push(s);
  }
  return out;
}

/** True when a reading at `at` may still be accepted: its interval has not been released. */
export function acceptsReadingAt(at: number, closedUntil: number): boolean {
  return at >= closedUntil;
}

/** Intervals whose window ends exactly at `end` (the finest always does; coarser ones when aligned). */
export function intervalsEndingAt(policy: RollupPolicy, end: number): IntervalName[] {
  return sortedIntervals(policy).filter((i) => end % (intervalMinutes[i] * 60_000) === 0);
}

/** A group's key and its column values. */
interface Group {
  key: string;
  cells: CellValue[];
}

const round = (x: number, places: number) => {
  const f = 10 ** places;
  return Math.round(x * f) / f;
};

/** The spatial group of a device (devices without the needed attribute form an "unknown" group). */
export function groupOf(device: DevicePlace, spatial: RollupPolicy['spatial']): Group {
  switch (spatial.type) {
    case 'device':
      return { key: device.key, cells: [device.key, device.lat, device.lon] };
    case 'all':
      return { key: '*', cells: [] };
    case 'ward':
      return { key: device.ward ?? '', cells: [device.ward ?? 'unknown'] };
    case 'grid': {
      if (device.lat === null || device.lon === null) return { key: 'unknown', cells: [null, null] };
      const d = spatial.cellDegrees;
      const places = Math.max(0, Math.ceil(-Math.log10(d)) + 2);
      const lat = round(Math.floor(device.lat / d) * d, places);
      const lon = round(Math.floor(device.lon / d) * d, places);
      return { key: `${lat},${lon}`, cells: [lat, lon] };
    }
    case 'h3': {
      if (device.lat === null || device.lon === null) return { key: 'unknown', cells: [null] };
      const cell = latLngToCell(device.lat, device.lon, spatial.resolution);
      return { key: cell, cells: [cell] };
    }
  }
}

function groupColumns(spatial: RollupPolicy['spatial']): ColumnSchema[] {
  switch (spatial.type) {
    case 'device':
      return [
        { name: 'device', type: 'string', title: 'Device', role: 'other' },
        { name: 'lat', type: 'number', title: 'Latitude', unit: 'degrees', role: 'location' },
        { name: 'lon', type: 'number', title: 'Longitude', unit: 'degrees', role: 'location' },
      ];
    case 'all':
      return [];
    case 'ward':
      return [{ name: 'ward', type: 'string', title: 'Ward', role: 'location' }];
    case 'grid':
      return [
        { name: 'cell_lat', type: 'number', title: `Grid cell south edge (${spatial.cellDegrees}°)`, unit: 'degrees', role: 'location' },
        { name: 'cell_lon', type: 'number', title: `Grid cell west edge (${spatial.cellDegrees}°)`, unit: 'degrees', role: 'location' },
      ];
    case 'h3':
      return [{ name: 'h3_cell', type: 'string', title: `H3 cell (resolution ${spatial.resolution})`, role: 'location' }];
  }
}

const aggregateTitle: Record<AggregateName, string> = { mean: 'mean', min: 'minimum', max: 'maximum', sum: 'total', count: 'number of readings of' };

/** The name of the column counting devices: households for personal streams. */
export const unitsColumn = (level: StreamLevel) => (level === 'personal' ? 'households' : 'devices');

/** Columns of a stream's rollup release. */
export function rollupColumns(level: StreamLevel, measures: Measure[], policy: RollupPolicy): ColumnSchema[] {
  const cols: ColumnSchema[] = [
    { name: 'interval', type: 'string', title: 'Interval', description: '15min, hour, day or week', role: 'time' },
    { name: 'interval_start', type: 'datetime', title: 'Start (UTC, inclusive)', role: 'time' },
    { name: 'interval_end', type: 'datetime', title: 'End (UTC, exclusive)', role: 'time' },
    ...groupColumns(policy.spatial),
    { name: unitsColumn(level), type: 'integer', title: level === 'personal' ? 'Households' : 'Devices reporting', role: 'measure' },
    { name: 'readings', type: 'integer', title: 'Readings', role: 'measure' },
  ];
  for (const m of measures) {
    for (const a of policy.aggregates) {
      cols.push({ name: `${m.name}_${a}`, type: a === 'count' ? 'integer' : 'number', title: `${m.title ?? m.name}: ${aggregateTitle[a]}`, unit: a === 'count' ? undefined : m.unit, role: 'measure' });
    }
  }
  return cols;
}

/** Columns of a public stream's raw readings release. */
export function readingColumns(measures: Measure[]): ColumnSchema[] {
  return [
    { name: 'time', type: 'datetime', title: 'Time (UTC)', role: 'time' },
    { name: 'device', type: 'string', title: 'Device', role: 'other' },
    { name: 'lat', type: 'number', title: 'Latitude', unit: 'degrees', role: 'location' },
    { name: 'lon', type: 'number', title: 'Longitude', unit: 'degrees', role: 'location' },
    ...measures.map((m): ColumnSchema => ({ name: m.name, type: 'number', title: m.title ?? m.name, unit: m.unit, role: 'measure' })),
  ];
}

/** Raw readings as release rows, ordered by time then device. */
export function readingRows(measures: Measure[], devices: Map<number, DevicePlace>, readings: Reading[]): CellValue[][] {
  const rows = readings
    .filter((r) => devices.has(r.deviceId))
    .map((r) => {
      const d = devices.get(r.deviceId)!;
      return { at: r.at, key: d.key, row: [new Date(r.at).toISOString(), d.key, d.lat, d.lon, ...measures.map((m) => r.values[m.name] ?? null)] as CellValue[] };
    });
  rows.sort((a, b) => a.at - b.at || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return rows.map((r) => r.row);
}

interface Acc {
  group: Group;
  devices: Set<number>;
  readings: number;
  sum: number[];
  count: number[];
  min: number[];
  max: number[];
}

/** Accumulates the readings of [start, end) per spatial group. */
function accumulate(measures: Measure[], policy: RollupPolicy, devices: Map<number, DevicePlace>, readings: Reading[], start: number, end: number): Map<string, Acc> {
  const groups = new Map<string, Acc>();
  for (const r of readings) {
    if (r.at < start || r.at >= end) continue;
    const d = devices.get(r.deviceId);
    if (!d) continue;
    const g = groupOf(d, policy.spatial);
    let acc = groups.get(g.key);
    if (!acc) {
      acc = { group: g, devices: new Set(), readings: 0, sum: measures.map(() => 0), count: measures.map(() => 0), min: measures.map(() => Infinity), max: measures.map(() => -Infinity) };
      groups.set(g.key, acc);
    }
    acc.devices.add(r.deviceId);
    acc.readings++;
    measures.forEach((m, i) => {
      const v = r.values[m.name];
      if (typeof v !== 'number' || !Number.isFinite(v)) return;
      acc.sum[i] += v;
      acc.count[i]++;
      if (v < acc.min[i]) acc.min[i] = v;
      if (v > acc.max[i]) acc.max[i] = v;
    });
  }
  return groups;
}

/** The result of one interval's rollup. */
export interface RollupResult {
  rows: CellValue[][];
  /** Group keys hidden because they cover too few households (primary) or contain a hidden finer figure (secondary). */
  suppressed: string[];
  /** Smallest number of devices/households behind a published row (null when no row). */
  minUnits: number | null;
}

/** Input of a rollup. */
export interface RollupInput {
  level: StreamLevel;
  measures: Measure[];
  policy: RollupPolicy;
  devices: Map<number, DevicePlace>;
  /** Readings covering at least [start, end). */
  readings: Reading[];
}

/**
 * The rollup of one interval [start, end): one row per spatial group with readings. For personal
 * streams a group covering fewer than `minHouseholds` households is suppressed, and so is a group
 * in a coarser interval when it was suppressed in any of the finest intervals it contains.
 */
export function computeRollup(input: RollupInput, interval: IntervalName, start: number): RollupResult {
  const { level, measures, policy } = input;
  const ms = intervalMinutes[interval] * 60_000;
  const end = start + ms;
  const groups = accumulate(measures, policy, input.devices, input.readings, start, end);
  const threshold = level === 'personal' ? Math.max(1, policy.minHouseholds ?? Number.MAX_SAFE_INTEGER) : 0;
  const suppressed = new Set<string>();
  for (const [key, acc] of groups) if (acc.devices.size < threshold) suppressed.add(key);
  if (level === 'personal') {
    const finest = sortedIntervals(policy)[0];
    const fineMs = intervalMinutes[finest] * 60_000;
    if (fineMs < ms) {
      for (let s = start; s < end; s += fineMs) {
        for (const [key, acc] of accumulate(measures, policy, input.devices, input.readings, s, s + fineMs)) {
          if (acc.devices.size < threshold) suppressed.add(key);
        }
      }
    }
  }
  const keys = [...groups.keys()].filter((k) => !suppressed.has(k)).sort();
  const rows: CellValue[][] = [];
  let minUnits: number | null = null;
  for (const key of keys) {
    const acc = groups.get(key)!;
    const row: CellValue[] = [interval, new Date(start).toISOString(), new Date(end).toISOString(), ...acc.group.cells, acc.devices.size, acc.readings];
    measures.forEach((_, i) => {
      const n = acc.count[i];
      for (const a of policy.aggregates) {
        if (a === 'count') row.push(n);
        else if (n === 0) row.push(null);
        else if (a === 'mean') row.push(round(acc.sum[i] / n, 4));
        else if (a === 'sum') row.push(round(acc.sum[i], 4));
        else if (a === 'min') row.push(acc.min[i]);
        else row.push(acc.max[i]);
      }
    });
    rows.push(row);
    minUnits = minUnits === null ? acc.devices.size : Math.min(minUnits, acc.devices.size);
  }
  return { rows, suppressed: [...suppressed].sort(), minUnits };
}

/**
 * The publication gate's evidence for a personal stream's rollup release (DESIGN.md §2): an
 * aggregate table; the smallest published count of households; no totals are published beside
 * the groups and suppression is carried to coarser intervals, so no hidden figure can be worked
 * out; the finest interval as the time resolution; and the standing four-eyes approval.
 */
export function personalRollupEvidence(input: {
  columns: ColumnSchema[];
  minHouseholds: number | null;
  policy: RollupPolicy;
  approvals: { submitter: string; approver: string | null };
}): GateEvidence {
  const finest = intervalMinutes[sortedIntervals(input.policy)[0]];
  return {
    level: 'personal',
    output: 'table',
    columns: input.columns.map((c) => ({ name: c.name, role: c.role ?? 'other' })),
    table: { minPublishedCount: input.minHouseholds, hiddenCellsProtected: true, roundingBase: null },
    household: { minHouseholdsPerGroup: input.minHouseholds ?? Number.MAX_SAFE_INTEGER, resolutionMinutes: finest },
    approvals: input.approvals,
  };
}
