import { auditIntervals, type CellInterval } from './interval-audit';
import { PolicyError } from './privacy.errors';
import { secondarySuppression, PRIMARY, PUBLISHED, SECONDARY } from './secondary-suppression';
import { uniformInt, type RandomSource } from './seeded.random';
import { cellCoords, TOTAL_LABEL, type ProtectedTable } from './table-aggregation';
import type { Cell } from './table.model';

/** Primary suppression rules: threshold on contributors, (n,k) dominance and the p% rule on magnitudes. */
export type PrimaryRule =
  | { type: 'threshold'; min: number }
  | { type: 'dominance'; n: number; k: number }
  | { type: 'p-percent'; p: number };

/** Rounding of published values to a base: nearest (ties up) or unbiased random rounding. */
export interface RoundingSpec { base: number; mode: 'nearest' | 'random' }

/** Everything table protection does, in order: primary rules, secondary suppression, rounding. */
export interface TableProtectionOptions {
  rules: PrimaryRule[];
  secondary: boolean;
  rounding?: RoundingSpec;
  /** What a hidden cell shows (e.g. "*" or "[c]"); null leaves it empty. */
  marker: string | null;
  /** Run the exact interval audit (cost grows with the number of suppressed cells). */
  audit?: boolean;
}

/** Named presets: the ONS "10-5 rule" and NHS-style small-number suppression. */
export const TABLE_PRESETS = {
  'ons-10-5': { rules: [{ type: 'threshold', min: 10 }], secondary: true, rounding: { base: 5, mode: 'nearest' }, marker: '[c]' },
  'nhs-1-7': { rules: [{ type: 'threshold', min: 8 }], secondary: true, marker: '*' },
} as const satisfies Record<string, TableProtectionOptions>;
/** A preset name (see TABLE_PRESETS). */
export type TablePreset = keyof typeof TABLE_PRESETS;

/** A protected table ready to publish, with what was done to it. */
export interface TableProtectionResult {
  table: ProtectedTable;
  status: Uint8Array;
  /** Published count and magnitude per cell (null = hidden), after rounding. */
  publishedCount: (number | null)[];
  publishedValue: (number | null)[];
  primary: number;
  secondary: number;
  rounding: RoundingSpec | null;
  audit: CellInterval[] | null;
  marker: string | null;
}

/** Protection a primary cell needs (the δ its hypercube must allow), per rule; 1 for thresholds. */
function primaryNeed(t: ProtectedTable, i: number, rule: PrimaryRule): number {
  const x = t.value[i];
  const top = t.top[i];
  switch (rule.type) {
    case 'threshold': return t.count[i] >= 1 && t.count[i] < rule.min ? 1 : 0;
    case 'dominance': {
      const s = top.slice(0, rule.n).reduce((a, b) => a + b, 0);
      return x > 0 && s > (rule.k / 100) * x ? Math.max(1, (100 / rule.k) * s - x) : 0;
    }
    case 'p-percent': {
      const rest = x - (top[0] ?? 0) - (top[1] ?? 0);
      return x > 0 && rest < (rule.p / 100) * (top[0] ?? 0) ? Math.max(1, (rule.p / 100) * (top[0] ?? 0) - rest) : 0;
    }
  }
}

/** Validates rule parameters and that magnitude rules have contributions to look at. */
function checkRules(t: ProtectedTable, rules: PrimaryRule[]): void {
  for (const r of rules) {
    if (r.type === 'threshold' && !(Number.isInteger(r.min) && r.min >= 1)) throw new PolicyError('Threshold must be a positive integer');
    if (r.type === 'dominance' && !(Number.isInteger(r.n) && r.n >= 1 && r.k > 0 && r.k <= 100)) throw new PolicyError('Dominance rule needs integer n >= 1 and 0 < k <= 100');
    if (r.type === 'p-percent' && !(r.p > 0 && r.p <= 100)) throw new PolicyError('p% rule needs 0 < p <= 100');
    if (r.type !== 'threshold' && t.measure === null) throw new PolicyError(`The ${r.type} rule needs a magnitude measure`);
  }
}

/** Rounds a non-negative value to a base (nearest: ties up; random: up with probability remainder/base). */
export function roundToBase(x: number, spec: RoundingSpec, random?: RandomSource): number {
  if (!(spec.base >= 1 && Number.isInteger(spec.base))) throw new PolicyError('Rounding base must be a positive integer');
  const b = spec.base;
  const down = Math.floor(x / b) * b;
  const rem = x - down;
  if (rem === 0) return x;
  if (spec.mode === 'nearest') return rem * 2 >= b ? down + b : down;
  if (random === undefined) throw new PolicyError('Random rounding needs a random source');
  const scale = 1_000_000;
  return uniformInt(random, b * scale) < Math.round(rem * scale) ? down + b : down;
}

/**
 * Protects a table: primary suppression by every rule, secondary suppression (hypercube) so that no
 * hidden cell can be recomputed from the published cells and totals, then rounding of what is shown.
 */
export function protectTable(t: ProtectedTable, options: TableProtectionOptions, random?: RandomSource): TableProtectionResult {
  checkRules(t, options.rules);
  const size = t.count.length;
  const status = new Uint8Array(size);
  const need = new Float64Array(size);
  for (let i = 0; i < size; i++) {
    for (const r of options.rules) need[i] = Math.max(need[i], primaryNeed(t, i, r));
    if (need[i] > 0) status[i] = PRIMARY;
  }
  const base = t.measure === null ? t.count : t.value;
  const final = options.secondary ? secondarySuppression(t, status, need, base) : status;
  let primary = 0;
  let secondary = 0;
  for (let i = 0; i < size; i++) { if (final[i] === PRIMARY) primary++; else if (final[i] === SECONDARY) secondary++; }
  const round = (x: number): number => (options.rounding ? roundToBase(x, options.rounding, random) : x);
  const publishedCount = Array.from(t.count, (x, i) => (final[i] === PUBLISHED ? round(x) : null));
  const publishedValue = Array.from(t.value, (x, i) => (final[i] === PUBLISHED ? (t.measure === null ? publishedCount[i] : round(x)) : null));
  const audit = options.audit ? auditIntervals(t, final, base) : null;
  return { table: t, status: final, publishedCount, publishedValue, primary, secondary, rounding: options.rounding ?? null, audit, marker: options.marker };
}

/** The published table as rows: one per cell (totals labelled "Total"), hidden cells as the marker. */
export function protectedRows(r: TableProtectionResult): { columns: string[]; rows: Cell[][] } {
  const t = r.table;
  const columns = [...t.dims.map((d) => d.name), 'count', ...(t.measure === null ? [] : [`sum_${t.measure}`])];
  const rows: Cell[][] = [];
  for (let i = 0; i < t.count.length; i++) {
    const coords = cellCoords(t, i);
    const labels = coords.map((c, j) => (c === t.shape[j] - 1 ? TOTAL_LABEL : t.dims[j].values[c]));
    const shown = (v: number | null): Cell => (v === null ? r.marker : v);
    rows.push([...labels, shown(r.publishedCount[i]), ...(t.measure === null ? [] : [shown(r.publishedValue[i])])]);
  }
  return { columns, rows };
}
