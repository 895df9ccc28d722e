import { z } from 'zod';
import type { GatePolicy } from '../publishing/gate-policy';

/**
 * A stream's definition as data (validated with zod): the reading schema (numeric measures with
 * units and valid ranges) and the rollup policy (intervals, aggregates, spatial grouping, late
 * arrivals and, for personal streams, the household threshold). Pure: no I/O.
 */

/** Rollup intervals and their length in minutes. */
export const intervalMinutes = { '15min': 15, hour: 60, day: 1440, week: 10080 } as const;
export type IntervalName = keyof typeof intervalMinutes;
export const intervalNames = Object.keys(intervalMinutes) as IntervalName[];

/** Aggregates a rollup can compute per measure. */
export const aggregateNames = ['mean', 'min', 'max', 'sum', 'count'] as const;
export type AggregateName = (typeof aggregateNames)[number];

/** Levels a stream may have: sensor data is either public or personal (household meters). */
export const streamLevels = ['public', 'personal'] as const;
export type StreamLevel = (typeof streamLevels)[number];

const identifier = z.string().regex(/^[a-z][a-z0-9_]{0,39}$/, { message: 'lower-case letters, digits and _ (start with a letter, at most 40)' });

/** One measure of the reading schema. */
export const measureSchema = z
  .object({
    name: identifier,
    title: z.string().max(200).optional(),
    unit: z.string().min(1).max(40),
    min: z.number().finite(),
    max: z.number().finite(),
  })
  .strict()
  .refine((m) => m.min < m.max, { message: 'min must be below max' });
export type Measure = z.infer<typeof measureSchema>;

/** How readings are grouped in space. */
export const spatialSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('device') }).strict(),
  z.object({ type: z.literal('all') }).strict(),
  z.object({ type: z.literal('ward') }).strict(),
  z.object({ type: z.literal('grid'), cellDegrees: z.number().min(0.0001).max(10) }).strict(),
  z.object({ type: z.literal('h3'), resolution: z.number().int().min(0).max(15) }).strict(),
]);
export type Spatial = z.infer<typeof spatialSchema>;

/** The rollup policy. */
export const rollupSchema = z
  .object({
    intervals: z.array(z.enum(intervalNames as [IntervalName, ...IntervalName[]])).min(1).max(4),
    aggregates: z.array(z.enum(aggregateNames)).min(1).default(['mean', 'min', 'max']),
    spatial: spatialSchema.default({ type: 'device' }),
    lateSeconds: z.number().int().min(0).max(86_400).default(300),
    /** Personal streams: the least number of households (devices) a published figure may cover. */
    minHouseholds: z.number().int().min(1).optional(),
  })
  .strict();
export type RollupPolicy = z.infer<typeof rollupSchema>;

/**
 * True when two rollup policies are the same (key order aside; the order of intervals and
 * aggregates counts: it orders the release's columns). Saving a policy that is the same changes nothing.
 */
export function sameRollup(a: RollupPolicy, b: RollupPolicy): boolean {
  const canon = (p: RollupPolicy) =>
    JSON.stringify([p.intervals, p.aggregates, Object.entries(p.spatial).sort(([x], [y]) => x.localeCompare(y)), p.lateSeconds, p.minHouseholds ?? null]);
  return canon(a) === canon(b);
}

/** Everything a steward defines for a new stream. */
export const streamDefinitionSchema = z
  .object({
    slug: z
      .string()
      .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, { message: 'lower-case words joined by hyphens' })
      .max(80)
      // `/manage/streams/new` is the page that defines a stream.
      .refine((s) => s !== 'new', { message: '"new" is reserved; choose another slug' }),
    title: z.string().min(3).max(200),
    summary: z.string().max(500).default(''),
    description: z.string().max(20_000).default(''),
    publisher: z.string().min(1).max(100),
    level: z.enum(streamLevels),
    licence: z.string().min(1).max(64).default('OGL-UK-3.0'),
    themes: z.array(z.string().max(100)).max(10).default([]),
    keywords: z.array(z.string().min(1).max(60)).max(20).default([]),
    measures: z.array(measureSchema).min(1).max(20),
    rollup: rollupSchema,
  })
  .strict();
export type StreamDefinition = z.infer<typeof streamDefinitionSchema>;

/** Intervals sorted finest first (the finest one is the release interval). */
export function sortedIntervals(p: RollupPolicy): IntervalName[] {
  return [...new Set(p.intervals)].sort((a, b) => intervalMinutes[a] - intervalMinutes[b]);
}

/** The finest interval of a policy, in milliseconds: each closed one makes a release. */
export function releaseIntervalMs(p: RollupPolicy): number {
  return intervalMinutes[sortedIntervals(p)[0]] * 60_000;
}

/** One problem with a definition beyond its shape, with the path of the field it is about (as zod gives paths). */
export interface DefinitionIssue {
  path: Array<string | number>;
  message: string;
}

/**
 * Problems with a definition beyond its shape: duplicate measures, and for personal streams the
 * household rules of the release policy (DESIGN.md §2): grouped over households, never per
 * device; daily or coarser; at least the policy's households per group. Empty when it is fine.
 */
export function definitionProblems(level: StreamLevel, measures: Measure[], rollup: RollupPolicy, gate: GatePolicy): string[] {
  return definitionIssues(level, measures, rollup, gate).map((i) => i.message);
}

/** `definitionProblems` with the path of each problem's field (`measures.<i>.name`, `rollup.<field>`), for forms. */
export function definitionIssues(level: StreamLevel, measures: Measure[], rollup: RollupPolicy, gate: GatePolicy): DefinitionIssue[] {
  const problems: DefinitionIssue[] = [];
  const names = measures.map((m) => m.name);
  const dup = names.findIndex((n, i) => names.indexOf(n) !== i);
  if (dup >= 0) problems.push({ path: ['measures', dup, 'name'], message: `measure "${names[dup]}" appears twice` });
  const reserved = ['interval', 'interval_start', 'interval_end', 'devices', 'households', 'readings', 'device', 'time', 'lat', 'lon', 'ward', 'cell', 'h3_cell', 'cell_lat', 'cell_lon'];
  names.forEach((n, i) => {
    if (reserved.includes(n)) problems.push({ path: ['measures', i, 'name'], message: `measure name "${n}" is reserved` });
  });
  const intervals = sortedIntervals(rollup);
  for (let i = 1; i < intervals.length; i++) {
    if (intervalMinutes[intervals[i]] % intervalMinutes[intervals[0]] !== 0) problems.push({ path: ['rollup', 'intervals'], message: `interval ${intervals[i]} is not a whole number of ${intervals[0]}` });
  }
  if (level === 'personal') {
    if (rollup.spatial.type === 'device') problems.push({ path: ['rollup', 'spatial'], message: 'a personal stream must aggregate over households (spatial: all, ward, grid or h3), never per device' });
    const finest = intervalMinutes[intervals[0]];
    if (finest < gate.personal.householdMaxResolutionMinutes) {
      problems.push({ path: ['rollup', 'intervals'], message: `a personal stream publishes daily or coarser: interval ${intervals[0]} is finer than ${gate.personal.householdMaxResolutionMinutes} minutes` });
    }
    if (rollup.minHouseholds === undefined) problems.push({ path: ['rollup', 'minHouseholds'], message: `a personal stream needs rollup.minHouseholds (at least ${gate.personal.householdMinGroup})` });
    else if (rollup.minHouseholds < gate.personal.householdMinGroup) problems.push({ path: ['rollup', 'minHouseholds'], message: `rollup.minHouseholds must be at least ${gate.personal.householdMinGroup} (the release policy's household threshold)` });
    if (rollup.aggregates.includes('min') || rollup.aggregates.includes('max')) problems.push({ path: ['rollup', 'aggregates'], message: 'a personal stream may not publish min or max: they are one household’s reading' });
  } else if (rollup.minHouseholds !== undefined) {
    problems.push({ path: ['rollup', 'minHouseholds'], message: 'rollup.minHouseholds applies to personal streams only' });
  }
  return problems;
}

/** A device as the registry gives it to the rollup: where it is, for spatial grouping. */
export interface DevicePlace {
  id: number;
  key: string;
  lat: number | null;
  lon: number | null;
  ward: string | null;
}
