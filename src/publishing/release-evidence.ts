import { z } from 'zod';
import type { ColumnRole, ColumnSchema, SensitivityLevel } from '../catalogue/table-schema';
import { distinctPerClass, groupRows, toRational, type Cell, type ColumnMeta, type Policy, type PolicyResult } from '../privacy';
import type { GateEvidence, OutputKind } from './gate';

/**
 * From a policy run to the publication gate's evidence (pure): what kind of output the policy
 * makes and the figures measured on that exact output — smallest class and l-diversity for
 * microdata, smallest published count, hidden-cell protection and rounding for tables, group size
 * and time resolution for household meter data.
 */

/**
 * Settings a release policy carries beside the engine's policy JSON: the one schema, which
 * `saveReleasePolicy` checks whatever they come from (the policy editor, the API and its OpenAPI
 * document, `plaza release:policy`).
 */
export const releaseSettingsSchema = z
  .object({
    household: z
      .object({ timeColumn: z.string().min(1).max(200), countMeasure: z.string().min(1).max(200) })
      .strict()
      .nullable()
      .optional()
      .describe(
        'Household meter data (DESIGN.md §2): the gate then also checks that every figure aggregates enough households ' +
          '(countMeasure: an output measure counting households, e.g. a count_distinct of the household column) and that timeColumn is daily or coarser',
      ),
  })
  .strict();
export type ReleaseSettings = z.infer<typeof releaseSettingsSchema>;

/** Engine column types for stored column types. */
export function engineColumns(columns: ColumnSchema[]): ColumnMeta[] {
  return columns.map((c) => ({
    name: c.name,
    type: c.type === 'datetime' ? 'string' : c.type,
    role: (c.role ?? 'other') as ColumnRole,
  }));
}

/** What the policy publishes: a table, de-identified microdata, or the rows as they are. */
export function outputKindOf(policy: Policy, result: Pick<PolicyResult, 'report'>): OutputKind {
  if (result.report.kind === 'table') return 'table';
  if (policy.steps.some((s) => s.op === 'k-anonymity' || s.op === 'mondrian')) return 'microdata';
  return 'raw';
}

/**
 * Equality of quasi-identifier values for the gate's own count: as in JSON (a number and the same
 * digits as text differ, an empty text is not a missing value; non-finite numbers are null).
 */
const typedKey = (v: Cell): unknown => (typeof v === 'number' && !Number.isFinite(v) ? null : v);

/**
 * Smallest class over the quasi-identifiers, and the fewest distinct values of a sensitive column
 * in a class: counted again from the output rows, independently of the engine's own report.
 */
export function measureClasses(columns: ColumnMeta[], rows: Cell[][]): { minClassSize: number; minDistinctL: number | null } {
  const qi = columns.map((c, i) => (c.role === 'quasi_identifier' ? i : -1)).filter((i) => i >= 0);
  const sensitive = columns.map((c, i) => (c.role === 'sensitive' ? i : -1)).filter((i) => i >= 0);
  if (rows.length === 0) return { minClassSize: Number.MAX_SAFE_INTEGER, minDistinctL: sensitive.length ? Number.MAX_SAFE_INTEGER : null };
  const { classOf, count } = groupRows(rows, qi, typedKey);
  const sizes = new Int32Array(count);
  for (let i = 0; i < rows.length; i++) sizes[classOf[i]]++;
  let minClassSize = Number.MAX_SAFE_INTEGER;
  for (const s of sizes) minClassSize = Math.min(minClassSize, s);
  let minDistinctL = Number.MAX_SAFE_INTEGER;
  for (const s of sensitive) for (const l of distinctPerClass(rows, classOf, count, s, String)) minDistinctL = Math.min(minDistinctL, l);
  return { minClassSize, minDistinctL: sensitive.length ? minDistinctL : null };
}

const minutesPerLevel: Record<string, number> = { day: 1440, week: 10080, month: 43200, quarter: 129600, year: 525600 };
/** Resolution of a time column the output no longer has: nothing finer than "never". */
const NO_TIME = 525600 * 100;

/** The finest time resolution (minutes) the output publishes for `timeColumn`. */
export function timeResolution(policy: Policy, outputColumns: ColumnMeta[], timeColumn: string): number {
  if (!outputColumns.some((c) => c.name === timeColumn)) return NO_TIME;
  let minutes = 0;
  for (const s of policy.steps) {
    if (s.op === 'drop' && s.columns.includes(timeColumn)) return NO_TIME;
    if (s.op === 'generalise' && s.column === timeColumn && s.hierarchy.type === 'date' && s.level > 0) {
      const names = s.hierarchy.levels ?? ['week', 'month', 'quarter', 'year'];
      minutes = Math.max(minutes, minutesPerLevel[names[s.level - 1]] ?? 0);
    }
  }
  return minutes;
}

/** Columns a transform rewrote: a detector's finding about their raw values no longer applies. */
function transformedColumns(policy: Policy): Set<string> {
  const out = new Set<string>();
  for (const s of policy.steps) {
    if (s.op === 'pseudonymise') s.columns.forEach((c) => out.add(c));
    if (s.op === 'generalise') out.add(s.column);
    if (s.op === 'k-anonymity') s.quasiIdentifiers.forEach((q) => out.add(q.column));
    if (s.op === 'mondrian') s.quasiIdentifiers.forEach((q) => out.add(q));
  }
  return out;
}

/** Everything the gate needs, measured on a policy's output (approvals are added by the workflow). */
export function gateEvidence(input: {
  level: SensitivityLevel;
  policy: Policy;
  result: Pick<PolicyResult, 'columns' | 'rows' | 'report'>;
  /** Source columns a detector flagged as direct identifiers (names, NHS numbers, e-mail addresses…). */
  detectedDirect: string[];
  settings: ReleaseSettings;
  /** The dataset's remaining differential-privacy budget. */
  budgetRemaining?: number;
}): GateEvidence {
  const { policy, result, settings } = input;
  const output = outputKindOf(policy, result);
  const rewritten = transformedColumns(policy);
  const detected = new Set(input.detectedDirect.filter((c) => !rewritten.has(c)));
  const evidence: GateEvidence = {
    level: input.level,
    output,
    columns: result.columns.map((c) => ({ name: c.name, role: c.role, ...(detected.has(c.name) && output !== 'table' ? { detectedDirectIdentifier: true } : {}) })),
  };
  if (output === 'microdata') evidence.microdata = measureClasses(result.columns, result.rows);
  if (output === 'table') {
    const t = result.report.table;
    const dp = result.report.differentialPrivacy;
    // ε as the engine reports it (a decimal or a fraction "a/b"), read by the engine's own parser.
    const epsilon = dp ? toRational(dp.epsilon) : null;
    evidence.table = {
      minPublishedCount: t ? t.smallestPublishedCount : null,
      hiddenCellsProtected: t ? (t.audit ? t.audit.allProtected : t.primarySuppressed === 0 || !t.totalsPublished) : true,
      roundingBase: t?.rounding?.base ?? null,
      ...(epsilon ? { dp: { epsilon: Number(epsilon.n) / Number(epsilon.d), budgetRemaining: input.budgetRemaining ?? Number.POSITIVE_INFINITY } } : {}),
    };
  }
  if (settings.household) {
    const h = settings.household;
    const at = result.columns.findIndex((c) => c.name === h.countMeasure);
    const counts = at >= 0 ? result.rows.map((r) => Number(r[at])) : [];
    evidence.household = {
      minHouseholdsPerGroup: output === 'table' && at >= 0 ? (counts.length ? Math.min(...counts) : Number.MAX_SAFE_INTEGER) : 1,
      resolutionMinutes: timeResolution(policy, result.columns, h.timeColumn),
    };
  }
  return evidence;
}
