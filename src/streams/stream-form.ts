import { defaultGatePolicy, type GatePolicy } from '../publishing/gate-policy';
import {
  aggregateNames,
  definitionIssues,
  intervalNames,
  rollupSchema,
  streamDefinitionSchema,
  type AggregateName,
  type IntervalName,
  type Measure,
  type RollupPolicy,
  type StreamDefinition,
  type StreamLevel,
} from './stream.schemas';

/**
 * The stewards' stream forms (`/manage/streams/new`, `/manage/streams/<slug>/policy`), pure: the
 * HTML form's fields → the definition (or rollup policy) object, validated with the very zod
 * schemas and household rules the API uses (`streamDefinitionSchema`, `rollupSchema`,
 * `definitionIssues`), and back, to fill a form from a stored policy. Every problem comes back
 * with the id of the field it is about, for the GOV.UK error summary and inline messages.
 */

/** How readings may be grouped in space (the `spatial.type` values). */
export const spatialTypes = ['device', 'all', 'ward', 'grid', 'h3'] as const;

/** One row of measure inputs, as typed. */
export interface MeasureRow {
  name: string;
  title: string;
  unit: string;
  min: string;
  max: string;
}
export const measureParts = ['name', 'title', 'unit', 'min', 'max'] as const;
export type MeasurePart = (typeof measureParts)[number];

/** The rollup policy's inputs, as typed. */
export interface RollupForm {
  intervals: string[];
  aggregates: string[];
  spatial: string;
  /** Grid cell size in degrees (spatial `grid` only). */
  cellDegrees: string;
  /** H3 resolution (spatial `h3` only). */
  resolution: string;
  /** Late-arrival window in minutes (the definition holds seconds). */
  lateMinutes: string;
  /** Personal streams only: the least number of households behind a figure. */
  minHouseholds: string;
}

/** The "Define a sensor stream" form, as typed. */
export interface StreamForm {
  slug: string;
  title: string;
  summary: string;
  publisher: string;
  level: string;
  measures: MeasureRow[];
  rollup: RollupForm;
}

/** One problem: the id of the field it is about, and what to do. */
export interface FormIssue {
  field: string;
  message: string;
}

export type FormResult<T> = { ok: true; value: T } | { ok: false; issues: FormIssue[] };

/** At least this many measure rows are shown; a definition has at most 20 measures. */
export const MEASURE_ROWS = 5;
export const MAX_MEASURES = 20;

/** The id (and name) of one measure input: `measures-<row>-<part>`. */
export const measureField = (row: number, part: MeasurePart): string => `measures-${row}-${part}`;

export const intervalLabels: Record<IntervalName, string> = { '15min': 'Every 15 minutes', hour: 'Hourly', day: 'Daily', week: 'Weekly (7 days from Thursday 00:00 UTC: weeks count from the Unix epoch)' };
export const aggregateLabels: Record<AggregateName, string> = { mean: 'Mean', min: 'Minimum', max: 'Maximum', sum: 'Sum', count: 'Count of values' };
export const spatialLabels: Record<(typeof spatialTypes)[number], string> = {
  device: 'Per device, with its position',
  all: 'All devices together',
  ward: 'By ward (each device’s ward)',
  grid: 'Square grid cells (give the cell size below)',
  h3: 'H3 hexagonal cells (give the resolution below)',
};

// ---------------------------------------------------------------- HTML fields → form

const str = (v: unknown): string => (typeof v === 'string' ? v : Array.isArray(v) && typeof v[0] === 'string' ? v[0] : '');
const list = (v: unknown): string[] => (typeof v === 'string' ? [v] : Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/** The rollup inputs of a urlencoded body. */
export function rollupFormFromBody(body: Record<string, unknown>): RollupForm {
  return {
    intervals: list(body.intervals),
    aggregates: list(body.aggregates),
    spatial: str(body.spatial),
    cellDegrees: str(body.cellDegrees),
    resolution: str(body.resolution),
    lateMinutes: str(body.lateMinutes),
    minHouseholds: str(body.minHouseholds),
  };
}

/** The "Define a sensor stream" inputs of a urlencoded body (measure rows up to the last one sent). */
export function streamFormFromBody(body: Record<string, unknown>): StreamForm {
  const measures: MeasureRow[] = [];
  let last = -1;
  for (let i = 0; i < MAX_MEASURES + MEASURE_ROWS; i++) {
    const row = Object.fromEntries(measureParts.map((p) => [p, str(body[measureField(i, p)])])) as unknown as MeasureRow;
    measures.push(row);
    if (measureParts.some((p) => body[measureField(i, p)] !== undefined)) last = i;
  }
  return {
    slug: str(body.slug),
    title: str(body.title),
    summary: str(body.summary),
    publisher: str(body.publisher),
    level: str(body.level),
    measures: measures.slice(0, last + 1),
    rollup: rollupFormFromBody(body),
  };
}

// ---------------------------------------------------------------- definition → form

/** Minutes as the form shows them: at most two decimals, which round-trip any whole number of seconds. */
export const minutesText = (seconds: number): string => String(Number((seconds / 60).toFixed(2)));

/** A stored rollup policy as form values. */
export function rollupFormFromPolicy(p: RollupPolicy): RollupForm {
  return {
    intervals: [...p.intervals],
    aggregates: [...p.aggregates],
    spatial: p.spatial.type,
    cellDegrees: p.spatial.type === 'grid' ? String(p.spatial.cellDegrees) : '',
    resolution: p.spatial.type === 'h3' ? String(p.spatial.resolution) : '',
    lateMinutes: minutesText(p.lateSeconds),
    minHouseholds: p.minHouseholds === undefined ? '' : String(p.minHouseholds),
  };
}

/** A definition as form values (licence, themes, keywords and description are not on the form: they keep their defaults). */
export function streamFormFromDefinition(d: Pick<StreamDefinition, 'slug' | 'title' | 'summary' | 'publisher' | 'level' | 'measures' | 'rollup'>): StreamForm {
  return {
    slug: d.slug,
    title: d.title,
    summary: d.summary,
    publisher: d.publisher,
    level: d.level,
    measures: d.measures.map((m) => ({ name: m.name, title: m.title ?? '', unit: m.unit, min: String(m.min), max: String(m.max) })),
    rollup: rollupFormFromPolicy(d.rollup),
  };
}

/** A blank form for a new stream: hourly mean/min/max per device, 5 minutes for late readings. */
export function newStreamForm(publishers: string[], gate: GatePolicy = defaultGatePolicy): StreamForm {
  return {
    slug: '',
    title: '',
    summary: '',
    publisher: publishers.length === 1 ? publishers[0] : '',
    level: '',
    measures: [],
    rollup: { intervals: ['hour'], aggregates: ['mean', 'min', 'max'], spatial: 'device', cellDegrees: '', resolution: '', lateMinutes: '5', minHouseholds: String(gate.personal.householdMinGroup) },
  };
}

/**
 * The measure rows to show: the form's, then blank ones up to `MEASURE_ROWS` and one spare, at
 * most 20; `addRow` ("Add another measure") shows one more row than were sent.
 */
export function displayedMeasureRows(rows: MeasureRow[], addRow = false): MeasureRow[] {
  const blank = (): MeasureRow => ({ name: '', title: '', unit: '', min: '', max: '' });
  let lastFilled = -1;
  rows.forEach((r, i) => {
    if (!isBlankRow(r)) lastFilled = i;
  });
  const kept = rows.slice(0, Math.max(lastFilled + 1, 0));
  const target = Math.min(Math.max(MEASURE_ROWS, kept.length + 1, addRow ? rows.length + 1 : 0), Math.max(MAX_MEASURES, kept.length));
  while (kept.length < target) kept.push(blank());
  return kept;
}

// ---------------------------------------------------------------- form → definition

const isBlankRow = (r: MeasureRow) => measureParts.every((p) => r[p].trim() === '');
const NUMBER = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;
const parseNumber = (raw: string): number | undefined => {
  const s = raw.trim();
  if (!NUMBER.test(s)) return undefined;
  const n = Number(s);
  return Number.isFinite(n) ? n : undefined;
};

const topLabels: Record<string, string> = {
  slug: 'Enter a slug of lower-case words joined by hyphens, like river-levels (at most 80 characters)',
  title: 'Enter a title of 3 to 200 characters',
  summary: 'The summary must be 500 characters or fewer',
  publisher: 'Choose the publisher',
  level: 'Choose the sensitivity level: public or personal',
};
const fieldTitles: Record<string, string> = {
  slug: 'Slug', title: 'Title', summary: 'Summary', publisher: 'Publisher', level: 'Sensitivity level',
  intervals: 'Intervals', aggregates: 'Aggregates', spatial: 'Grouping in space', cellDegrees: 'Grid cell size',
  resolution: 'H3 resolution', lateMinutes: 'Late-arrival window', minHouseholds: 'Households behind a figure',
};
const rollupMessages: Record<string, string> = {
  intervals: 'Choose at least one interval',
  aggregates: 'Choose at least one aggregate',
  spatial: 'Choose how readings are grouped in space',
  cellDegrees: 'Enter the grid cell size in degrees, a number from 0.0001 to 10',
  resolution: 'Enter the H3 resolution, a whole number from 0 to 15',
  lateMinutes: 'Enter the late-arrival window in minutes, from 0 to 1440',
  minHouseholds: 'Enter the least number of households behind a figure, a whole number',
};
const measureMessages: Record<MeasurePart, string> = {
  name: 'enter a name of lower-case letters, digits and _, starting with a letter (at most 40)',
  title: 'the label must be 200 characters or fewer',
  unit: 'enter the unit (at most 40 characters), for example µg/m³',
  min: 'enter the valid minimum, a number',
  max: 'enter the valid maximum, a number',
};
const measureMessage = (row: number, part: MeasurePart, text = measureMessages[part]) => `Measure ${row + 1}: ${text}`;
const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** The rollup form field a path inside the rollup policy is about. */
function rollupFieldOf(path: readonly PropertyKey[]): string {
  const [a, b] = path;
  if (a === 'spatial') return b === 'cellDegrees' ? 'cellDegrees' : b === 'resolution' ? 'resolution' : 'spatial';
  if (a === 'lateSeconds') return 'lateMinutes';
  if (a === 'intervals' || a === 'aggregates' || a === 'minHouseholds') return a;
  return 'intervals';
}

/** The field a definition path is about; `rowOf` maps a measure's index to its form row. */
export function fieldOf(path: readonly PropertyKey[], rowOf: readonly number[] = []): string {
  const [a, b, c] = path;
  if (a === 'measures') {
    if (typeof b !== 'number') return measureField(0, 'name');
    const part = (measureParts as readonly PropertyKey[]).includes(c as PropertyKey) ? (c as MeasurePart) : 'max';
    return measureField(rowOf[b] ?? b, part);
  }
  if (a === 'rollup') return rollupFieldOf(path.slice(1));
  return typeof a === 'string' && a in topLabels ? a : 'slug';
}

/** A zod issue as a form issue, in plain words. */
function zodIssue(issue: { code: string; path: readonly PropertyKey[]; message: string }, rowOf: readonly number[], prefix: readonly PropertyKey[] = []): FormIssue {
  const path = [...prefix, ...issue.path];
  const field = fieldOf(path, rowOf);
  if (path[0] === 'measures') {
    if (typeof path[1] !== 'number') return { field, message: issue.code === 'too_big' ? `Give at most ${MAX_MEASURES} measures` : 'Give at least one measure: fill in a row' };
    const row = rowOf[path[1]] ?? path[1];
    const part = field.slice(field.lastIndexOf('-') + 1) as MeasurePart;
    if (issue.code === 'custom') return { field, message: measureMessage(row, 'max', 'the valid maximum must be above the minimum') };
    return { field, message: measureMessage(row, part) };
  }
  if (path[0] === 'rollup') {
    if (field === 'intervals' && issue.code !== 'too_small') return { field, message: 'Choose the intervals from the list' };
    if (field === 'aggregates' && issue.code !== 'too_small') return { field, message: 'Choose the aggregates from the list' };
    return { field, message: rollupMessages[field] };
  }
  return { field, message: topLabels[field] ?? capital(issue.message) };
}

/** A household-rule problem (`definitionIssues`) as a form issue. */
const ruleIssue = (i: { path: Array<string | number>; message: string }, rowOf: readonly number[]): FormIssue => ({
  field: fieldOf(i.path, rowOf),
  message: capital(i.message.replace(/rollup\.minHouseholds/g, 'the least number of households behind a figure')),
});

const fieldOrder = ['slug', 'title', 'summary', 'publisher', 'level', 'measures', 'intervals', 'aggregates', 'spatial', 'cellDegrees', 'resolution', 'lateMinutes', 'minHouseholds'];
function rank(field: string): number {
  const m = /^measures-(\d+)-(\w+)$/.exec(field);
  if (m) return fieldOrder.indexOf('measures') * 10_000 + Number(m[1]) * 10 + measureParts.indexOf(m[2] as MeasurePart);
  const i = fieldOrder.indexOf(field);
  return (i < 0 ? fieldOrder.length : i) * 10_000;
}

/** Issues in the order of their fields on the page (for the error summary). */
export function sortIssues(issues: FormIssue[]): FormIssue[] {
  return issues.map((issue, i) => ({ issue, i })).sort((a, b) => rank(a.issue.field) - rank(b.issue.field) || a.i - b.i).map((x) => x.issue);
}

/** Keeps the first issue per field, in page order. */
function firstPerField(issues: FormIssue[]): FormIssue[] {
  const seen = new Set<string>();
  return sortIssues(issues.filter((i) => (seen.has(i.field) ? false : (seen.add(i.field), true))));
}

/** The rollup policy input of a form (numbers parsed; problems with them collected); `minHouseholds` is read for personal streams only. */
function rollupInput(f: RollupForm, level: string, issues: FormIssue[]): Record<string, unknown> {
  const num = (field: string, raw: string): number | undefined => {
    const n = parseNumber(raw);
    if (n === undefined) issues.push({ field, message: rollupMessages[field] });
    return n;
  };
  let spatial: Record<string, unknown>;
  if (f.spatial === 'grid') spatial = { type: 'grid', cellDegrees: num('cellDegrees', f.cellDegrees) };
  else if (f.spatial === 'h3') spatial = { type: 'h3', resolution: num('resolution', f.resolution) };
  else spatial = { type: f.spatial };
  const minutes = num('lateMinutes', f.lateMinutes);
  const out: Record<string, unknown> = {
    intervals: [...new Set(f.intervals)],
    aggregates: [...new Set(f.aggregates)],
    spatial,
    lateSeconds: minutes === undefined ? undefined : Math.round(minutes * 60),
  };
  if (level === 'personal' && f.minHouseholds.trim() !== '') out.minHouseholds = num('minHouseholds', f.minHouseholds);
  return out;
}

/**
 * The definition a "Define a sensor stream" form describes, checked by `streamDefinitionSchema`
 * and the household rules exactly as `POST /api/v1/manage/streams` checks it; empty measure rows
 * are ignored. Licence, themes, keywords and description take the schema's defaults.
 */
export function definitionFromForm(f: StreamForm, gate: GatePolicy = defaultGatePolicy): FormResult<StreamDefinition> {
  const issues: FormIssue[] = [];
  const rowOf: number[] = [];
  const measures = f.measures.flatMap((r, row) => {
    if (isBlankRow(r)) return [];
    rowOf.push(row);
    const num = (part: 'min' | 'max') => {
      const n = parseNumber(r[part]);
      if (n === undefined) issues.push({ field: measureField(row, part), message: measureMessage(row, part) });
      return n;
    };
    const title = r.title.trim();
    return [{ name: r.name.trim(), ...(title ? { title } : {}), unit: r.unit.trim(), min: num('min'), max: num('max') }];
  });
  const input = {
    slug: f.slug.trim(),
    title: f.title.trim(),
    summary: f.summary.trim(),
    publisher: f.publisher,
    level: f.level,
    measures,
    rollup: rollupInput(f.rollup, f.level, issues),
  };
  const r = streamDefinitionSchema.safeParse(input);
  if (r.success) issues.push(...definitionIssues(r.data.level, r.data.measures, r.data.rollup, gate).map((i) => ruleIssue(i, rowOf)));
  else {
    issues.push(...r.error.issues.map((i) => zodIssue(i, rowOf)));
    // Something else is wrong, but the level and the rollup policy may be fine on their own: say now what the household rules make of them.
    const rollup = rollupSchema.safeParse(input.rollup);
    if (rollup.success && (f.level === 'public' || f.level === 'personal')) {
      issues.push(...definitionIssues(f.level, [], rollup.data, gate).filter((i) => i.path[0] === 'rollup').map((i) => ruleIssue(i, rowOf)));
    }
  }
  if (issues.length || !r.success) return { ok: false, issues: firstPerField(issues) };
  return { ok: true, value: r.data };
}

/**
 * The rollup policy a "Change the rollup policy" form describes for a stream of this level and
 * these measures, checked by `rollupSchema` and the household rules as `PUT …/policy` checks it.
 */
export function rollupFromForm(f: RollupForm, level: StreamLevel, measures: Measure[], gate: GatePolicy = defaultGatePolicy): FormResult<RollupPolicy> {
  const issues: FormIssue[] = [];
  const r = rollupSchema.safeParse(rollupInput(f, level, issues));
  if (r.success) {
    const rules = definitionIssues(level, measures, r.data, gate).filter((i) => i.path[0] === 'rollup');
    issues.push(...rules.map((i) => ruleIssue(i, [])));
  } else issues.push(...r.error.issues.map((i) => zodIssue(i, [], ['rollup'])));
  if (issues.length || !r.success) return { ok: false, issues: firstPerField(issues) };
  return { ok: true, value: r.data };
}

/**
 * A service's error message as a form issue: messages that start with a field path (`slug: …`,
 * `publisher: …`, `rollup.intervals: …`) point at that field, anything else at `fallback`.
 */
export function issueFromMessage(message: string, fallback: string): FormIssue {
  const m = /^([a-z][A-Za-z.]*): (.+)$/s.exec(message);
  if (!m) return { field: fallback, message };
  const path = m[1].split('.');
  const field = path[0] === 'rollup' || path[0] in topLabels ? fieldOf(path) : fallback;
  return { field, message: `${fieldTitles[field] ?? capital(m[1])}: ${m[2]}` };
}

/** The interval and aggregate names, for the form's checkboxes. */
export const formChoices = { intervals: intervalNames, aggregates: aggregateNames, spatial: spatialTypes };
