import { toRational, dpCount, dpSum, sampleDiscreteGaussian } from './dp.mechanism';
import { spendBudget, type PrivacyBudget } from './dp.budget';
import { encodeLattice, NodeEvaluator } from './global-recoding.lattice';
import { searchOptimalGeneralisation } from './global-recoding.search';
import { buildHierarchy } from './hierarchy.builder';
import { generaliseValue, type Hierarchy } from './hierarchy.model';
import { mondrian } from './mondrian';
import { formatNumber } from './numeric.generaliser';
import { parsePolicy, type Policy, type PolicyStep } from './policy.schema';
import { rankValues, type SensitiveCriterion } from './privacy.criteria';
import { PolicyError } from './privacy.errors';
import { pseudonym } from './pseudonymise.transform';
import { microdataRisk, nonUniformEntropy, equivalenceClasses, type InformationLoss, type MicrodataRisk } from './risk.report';
import { createSecureRandom, createSeededRandom, type RandomSource } from './seeded.random';
import { explainPolicy, type PolicyOutcome } from './statement';
import { aggregateRows, buildProtectedTable, compareKeys } from './table-aggregation';
import { protectTable, protectedRows, TABLE_PRESETS, type TableProtectionOptions } from './table-protection';
import { cellKey, columnIndex, normaliseTable, type Cell, type ColumnMeta, type DataTable, type DataTableInput } from './table.model';

/** Inputs a run needs besides the policy and the table. */
export interface RunOptions {
  /** Deployment secrets by name (pseudonymisation keys); never copied into the output. */
  secrets?: Record<string, string>;
  /** Identifies the release (pseudonym scope "release", budget ledger). */
  releaseId?: string;
  /** The dataset's DP budget; a DP step spends from it and the run fails when it would be exceeded. */
  budget?: PrivacyBudget;
  /** Override of the DP noise source (tests); otherwise per step: secure, or seeded from the policy. */
  dpRandom?: RandomSource;
  /** The caller hands the rows over: the run may change them in place instead of copying the table. */
  takeRows?: boolean;
}

/** The risk and utility report carried by a release. */
export interface RiskReport {
  kind: 'microdata' | 'table';
  inputRecords: number;
  outputRecords: number;
  suppressedRecords: number;
  directIdentifiersRemaining: string[];
  before: MicrodataRisk | null;
  after: MicrodataRisk | null;
  generalisation: {
    method: 'global-recoding' | 'mondrian' | 'fixed';
    k?: number; suppressionLimit?: number; metric?: string; score?: number; levels?: Record<string, number>;
    nodesEvaluated?: number; nodesTotal?: number; partitions?: number;
  } | null;
  informationLoss: InformationLoss | null;
  table: {
    cells: number; primarySuppressed: number; secondarySuppressed: number; rounding: { base: number; mode: string } | null;
    marker: string | null; smallestPublishedCount: number | null; audit: { cells: number; allProtected: boolean; narrowestWidth: number } | null;
    /** Whether marginal totals are published (protect-table); an aggregate publishes groups only. */
    totalsPublished: boolean;
  } | null;
  differentialPrivacy: { epsilon: string; mechanism: string; cells: number } | null;
}

/** What a policy run returns: the release table, its report and its plain-English statement. */
export interface PolicyResult {
  columns: ColumnMeta[];
  rows: Cell[][];
  report: RiskReport;
  statement: string;
  budget: PrivacyBudget | null;
}

/** Mutable state threaded through the steps. */
interface State {
  table: DataTable;
  originalQi: Map<string, string[]>;
  kept: Uint8Array;
  intensity: number[];
  report: RiskReport;
  outcome: PolicyOutcome;
  k: number;
}

/** Column values as hierarchy keys. */
const keysOf = (t: DataTable, column: string): string[] => { const i = columnIndex(t, column); return t.rows.map((r) => cellKey(r[i])); };

/** Records original QI values (before any generalisation) for the information-loss figures. */
function rememberOriginal(s: State, column: string): void {
  if (s.originalQi.has(column)) return;
  s.originalQi.set(column, keysOf(s.table, column));
}

/** Applies one hierarchy level to a column in place. */
function recode(s: State, column: string, h: Hierarchy, level: number): void {
  const i = columnIndex(s.table, column);
  for (const row of s.table.rows) row[i] = generaliseValue(h, cellKey(row[i]), level);
  s.table.columns[i] = { ...s.table.columns[i], type: 'string' };
  s.intensity.push(h.height > 1 ? level / (h.height - 1) : 0);
}

/** Keeps only rows flagged 1, updating which input records survive. */
function filterRows(s: State, keep: Uint8Array): void {
  const alive = [...s.kept.keys()].filter((i) => s.kept[i] === 1);
  alive.forEach((orig, pos) => { if (!keep[pos]) s.kept[orig] = 0; });
  s.table.rows = s.table.rows.filter((_, i) => keep[i] === 1);
}

/** Runs the global-recoding search and applies the optimal levels. */
function runKAnonymity(s: State, step: Extract<PolicyStep, { op: 'k-anonymity' }>): void {
  const t = s.table;
  const hs = step.quasiIdentifiers.map((q) => buildHierarchy(q.column, q.hierarchy, t.rows.map((r) => r[columnIndex(t, q.column)])));
  step.quasiIdentifiers.forEach((q) => rememberOriginal(s, q.column));
  const sensCols = [...new Set(step.criteria.map((c) => c.column))];
  const data = encodeLattice(step.quasiIdentifiers.map((q) => keysOf(t, q.column)), hs, sensCols.map((c) => keysOf(t, c)), sensCols);
  const criteria = step.criteria as SensitiveCriterion[];
  const result = searchOptimalGeneralisation(data, { k: step.k, suppressionLimit: step.suppressionLimit, metric: step.metric, criteria });
  const { kept } = new NodeEvaluator(data, step.k, criteria).keptUnits(result.levels);
  const keep = Uint8Array.from(data.rowUnit, (u) => kept[u]);
  const levels: Record<string, number> = {};
  step.quasiIdentifiers.forEach((q, j) => { levels[q.column] = result.levels[j]; recode(s, q.column, hs[j], result.levels[j]); });
  filterRows(s, keep);
  s.k = step.k;
  s.outcome.levels = { ...s.outcome.levels, ...levels };
  s.outcome.suppressedRecords = (s.outcome.suppressedRecords ?? 0) + result.suppressed;
  s.report.generalisation = {
    method: 'global-recoding', k: step.k, suppressionLimit: step.suppressionLimit, metric: step.metric, score: result.score, levels,
    nodesEvaluated: result.nodesEvaluated, nodesTotal: result.nodesTotal,
  };
}

/** Runs Mondrian and replaces QI values by their partition's range. */
function runMondrian(s: State, step: Extract<PolicyStep, { op: 'mondrian' }>): void {
  const t = s.table;
  const n = t.rows.length;
  const decoders: ((lo: number, hi: number) => string)[] = [];
  const columns = step.quasiIdentifiers.map((c) => {
    rememberOriginal(s, c);
    const i = columnIndex(t, c);
    const meta = t.columns[i];
    if (meta.type === 'integer' || meta.type === 'number') {
      const col = Float64Array.from(t.rows, (r) => { const x = Number(r[i]); if (r[i] === null || r[i] === '' || !Number.isFinite(x)) throw new PolicyError(`Column "${c}" has a non-numeric value`, { column: c }); return x; });
      decoders.push((lo, hi) => (lo === hi ? formatNumber(lo) : `${formatNumber(lo)}-${formatNumber(hi)}`));
      return col;
    }
    const values = [...new Set(t.rows.map((r) => cellKey(r[i])))].sort((a, b) => compareKeys([a], [b]));
    const pos = new Map(values.map((v, k) => [v, k]));
    decoders.push((lo, hi) => (lo === hi ? values[lo] : `${values[lo]}..${values[hi]}`));
    return Float64Array.from(t.rows, (r) => pos.get(cellKey(r[i])) as number);
  });
  const sensCols = [...new Set(step.criteria.map((c) => c.column))];
  const sensitive = sensCols.map((column) => {
    const keys = keysOf(t, column);
    const values = [...new Set(keys)];
    const ids = new Map(values.map((v, k) => [v, k]));
    const idArr = Int32Array.from(keys, (k) => ids.get(k) as number);
    const counts = new Int32Array(values.length);
    idArr.forEach((v) => { counts[v]++; });
    return { column, ids: idArr, domain: { values, counts, rank: rankValues(values) } };
  });
  const r = mondrian({ columns, n, sensitive }, { k: step.k, mode: step.mode, criteria: step.criteria as SensitiveCriterion[] });
  step.quasiIdentifiers.forEach((c, j) => {
    const i = columnIndex(t, c);
    let range = 0;
    let lo = Infinity; let hi = -Infinity;
    for (const v of columns[j]) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    t.rows.forEach((row, rIdx) => {
      const p = r.partitionOf[rIdx];
      row[i] = decoders[j](r.lo[j][p], r.hi[j][p]);
      range += hi > lo ? (r.hi[j][p] - r.lo[j][p]) / (hi - lo) : 0;
    });
    t.columns[i] = { ...t.columns[i], type: 'string' };
    s.intensity.push(n > 0 ? range / n : 0);
  });
  s.k = step.k;
  s.report.generalisation = { method: 'mondrian', k: step.k, partitions: r.partitions };
}

/** Resolves a protect-table step's options from its preset and overrides. */
function tableOptions(step: Extract<PolicyStep, { op: 'protect-table' }>): TableProtectionOptions {
  const preset = step.preset ? TABLE_PRESETS[step.preset] : undefined;
  const rules = step.rules ?? (preset ? [...preset.rules] : []);
  if (rules.length === 0) throw new PolicyError('protect-table needs rules or a preset');
  return {
    rules, secondary: step.secondary ?? preset?.secondary ?? true,
    rounding: step.rounding ?? (preset && 'rounding' in preset ? { ...preset.rounding } : undefined),
    marker: step.marker !== undefined ? step.marker : preset?.marker ?? null, audit: step.audit,
  };
}

/** The label rare categories are published under. */
export const OTHER_LABEL = 'Other';

/** Recodes values of each dimension held by fewer than `min` records to "Other", in place; returns how many distinct values were recoded. */
function recodeRareCategories(t: DataTable, dimensions: string[], min: number): number {
  let recoded = 0;
  for (const d of dimensions) {
    const i = columnIndex(t, d);
    const counts = new Map<string, number>();
    for (const row of t.rows) { const k = cellKey(row[i]); counts.set(k, (counts.get(k) ?? 0) + 1); }
    const rare = new Set([...counts].filter(([k, n]) => n < min && k !== OTHER_LABEL).map(([k]) => k));
    if (rare.size === 0) continue;
    recoded += rare.size;
    for (const row of t.rows) if (rare.has(cellKey(row[i]))) row[i] = OTHER_LABEL;
  }
  return recoded;
}

/** Noise source of a DP step: injected, secure, or seeded from the policy seed. */
function dpSource(policy: Policy, index: number, mode: 'secure' | 'seeded', options: RunOptions): RandomSource {
  if (options.dpRandom) return options.dpRandom;
  return mode === 'seeded' ? createSeededRandom(policy.seed, `dp:${index}`) : createSecureRandom();
}

/** Runs a terminal table step, replacing the state's table by the published table. */
function runTableStep(s: State, policy: Policy, index: number, options: RunOptions): PrivacyBudget | null {
  const step = policy.steps[index];
  const t = s.table;
  const meta = (name: string): ColumnMeta => t.columns.find((c) => c.name === name) ?? { name, type: 'string', role: 'other' };
  const measureMeta = (name: string): ColumnMeta => ({ name, type: 'number', role: 'measure' });
  s.report.kind = 'table';
  if (step.op === 'aggregate') {
    const out = aggregateRows(t, step.groupBy, step.measures);
    let rows = out.rows;
    let sizes = out.sizes;
    if (step.minGroupSize) {
      const { measure, min } = step.minGroupSize;
      const at = out.columns.indexOf(measure);
      if (at < step.groupBy.length) throw new PolicyError(`minGroupSize names "${measure}", which is not a measure of the aggregate step`);
      const keep = out.rows.map((r) => Number(r[at]) >= min);
      rows = out.rows.filter((_, i) => keep[i]);
      // The group size that counts is the named measure (e.g. distinct households), not the records.
      sizes = rows.map((r) => Number(r[at]));
      s.outcome.suppressedCells = out.rows.length - rows.length;
    }
    // Groups are left out whole and no totals are published, so nothing left out can be recovered.
    s.report.table = {
      cells: out.rows.length, primarySuppressed: out.rows.length - rows.length, secondarySuppressed: 0, rounding: null, marker: null,
      smallestPublishedCount: sizes.length ? Math.min(...sizes) : null, audit: null, totalsPublished: false,
    };
    s.table = { columns: out.columns.map((c, i) => (i < step.groupBy.length ? meta(c) : measureMeta(c))), rows };
    return options.budget ?? null;
  }
  if (step.op === 'protect-table') {
    const protection = tableOptions(step);
    if (step.rareCategories === 'other') {
      const min = Math.max(0, ...protection.rules.map((r) => (r.type === 'threshold' ? r.min : r.type === 'dominance' ? r.n + 1 : 2)));
      s.outcome.rareCategories = { min, recoded: recodeRareCategories(t, step.dimensions, min) };
    }
    const table = buildProtectedTable(t, step.dimensions, step.measure ?? null);
    const result = protectTable(table, protection, createSeededRandom(policy.seed, `round:${index}`));
    const out = protectedRows(result);
    s.table = { columns: out.columns.map((c, i) => (i < step.dimensions.length ? { ...meta(c), type: 'string' as const } : measureMeta(c))), rows: out.rows };
    const shown = result.publishedCount.filter((x): x is number => x !== null && x > 0);
    const audit = result.audit;
    s.report.table = {
      cells: table.count.length, primarySuppressed: result.primary, secondarySuppressed: result.secondary, rounding: result.rounding, marker: result.marker,
      smallestPublishedCount: shown.length ? Math.min(...shown) : null,
      audit: audit ? { cells: audit.length, allProtected: audit.every((a) => a.max > a.min), narrowestWidth: audit.length ? Math.min(...audit.map((a) => a.max - a.min)) : Infinity } : null,
      totalsPublished: true,
    };
    return options.budget ?? null;
  }
  if (step.op !== 'dp-counts' && step.op !== 'dp-sum') throw new PolicyError(`Step ${step.op} is not a table step`);
  const eps = toRational(step.epsilon);
  const budget = options.budget ? spendBudget(options.budget, options.releaseId ?? policy.seed, step.epsilon) : null;
  const random = dpSource(policy, index, step.randomness, options);
  if (step.op === 'dp-counts') {
    const dims = step.dimensions.map((d) => { const v = step.categories[d]; if (!v) throw new PolicyError(`dp-counts needs the categories of "${d}"`); return v; });
    const di = step.dimensions.map((d) => columnIndex(t, d));
    const cells = new Map<string, number>();
    for (const row of t.rows) {
      const key = di.map((i) => cellKey(row[i]));
      if (key.every((k, j) => dims[j].includes(k))) cells.set(JSON.stringify(key), (cells.get(JSON.stringify(key)) ?? 0) + 1);
    }
    const combos: string[][] = dims.reduce<string[][]>((acc, vs) => acc.flatMap((a) => vs.map((v) => [...a, v])), [[]]);
    const rows = combos.map((c) => {
      const x = cells.get(JSON.stringify(c)) ?? 0;
      let noisy: number;
      if (step.mechanism === 'gaussian') {
        const sigma2 = { n: eps.d * eps.d * 2n, d: eps.n * eps.n };
        noisy = x + Number(sampleDiscreteGaussian(sigma2, random));
      } else noisy = dpCount(x, eps, random);
      return [...c, step.clampNegative ? Math.max(0, noisy) : noisy];
    });
    s.table = { columns: [...step.dimensions.map((d) => ({ ...meta(d), type: 'string' as const })), measureMeta('count')], rows };
    s.report.differentialPrivacy = { epsilon: String(step.epsilon), mechanism: step.mechanism === 'gaussian' ? 'discrete Gaussian' : 'discrete Laplace', cells: rows.length };
    return budget;
  }
  const i = columnIndex(t, step.column);
  const values = t.rows.map((r) => Number(r[i])).filter((x) => Number.isFinite(x));
  const sum = dpSum(values, step.lower, step.upper, eps, random, step.decimals);
  s.table = { columns: [measureMeta(`sum_${step.column}`)], rows: [[sum]] };
  s.report.differentialPrivacy = { epsilon: String(step.epsilon), mechanism: 'discrete Laplace', cells: 1 };
  return budget;
}

/**
 * Runs a release policy over a table: validates it, applies the steps in order, and returns the
 * release rows and columns, the risk report and the plain-English statement. Deterministic: the
 * same policy and input give byte-identical output (except DP steps with randomness "secure").
 */
export function runPolicy(policyInput: unknown, input: DataTableInput, options: RunOptions = {}): PolicyResult {
  const policy = parsePolicy(policyInput);
  const table = normaliseTable(input, !options.takeRows);
  const n = table.rows.length;
  const qiOf = (t: DataTable): number[] => t.columns.map((c, i) => (c.role === 'quasi_identifier' ? i : -1)).filter((i) => i >= 0);
  const sensOf = (t: DataTable): { index: number; name: string }[] => t.columns.map((c, index) => ({ index, name: c.name, role: c.role })).filter((c) => c.role === 'sensitive');
  const kStep = policy.steps.find((x) => x.op === 'k-anonymity' || x.op === 'mondrian') as { k: number } | undefined;
  const s: State = {
    table, originalQi: new Map(), kept: new Uint8Array(n).fill(1), intensity: [], outcome: {}, k: kStep?.k ?? 5,
    report: {
      kind: 'microdata', inputRecords: n, outputRecords: 0, suppressedRecords: 0, directIdentifiersRemaining: [], before: null, after: null,
      generalisation: null, informationLoss: null, table: null, differentialPrivacy: null,
    },
  };
  s.report.before = microdataRisk(table.rows, qiOf(table), sensOf(table), s.k);
  let budget: PrivacyBudget | null = options.budget ?? null;
  policy.steps.forEach((step, index) => {
    const t = s.table;
    switch (step.op) {
      case 'drop': {
        const idx = step.columns.map((c) => columnIndex(t, c));
        const keep = t.columns.map((_, i) => !idx.includes(i));
        // In place: the table's rows are this run's own (copied from the input, or handed over).
        for (const r of t.rows) {
          let w = 0;
          for (let i = 0; i < r.length; i++) if (keep[i]) r[w++] = r[i];
          r.length = w;
        }
        s.table = { columns: t.columns.filter((_, i) => keep[i]), rows: t.rows };
        return;
      }
      case 'pseudonymise': {
        const key = options.secrets?.[step.secret];
        if (key === undefined) throw new PolicyError(`Secret "${step.secret}" is not configured`);
        for (const c of step.columns) {
          const i = columnIndex(t, c);
          for (const row of t.rows) row[i] = pseudonym(row[i], key, c, step.scope, options.releaseId ?? policy.seed, step.length);
          t.columns[i] = { ...t.columns[i], type: 'string', role: 'other' };
        }
        return;
      }
      case 'generalise': {
        rememberOriginal(s, step.column);
        const h = buildHierarchy(step.column, step.hierarchy, t.rows.map((r) => r[columnIndex(t, step.column)]));
        if (step.level >= h.height) throw new PolicyError(`Column "${step.column}" has no level ${step.level}`);
        recode(s, step.column, h, step.level);
        s.outcome.levels = { ...s.outcome.levels, [step.column]: step.level };
        s.report.generalisation ??= { method: 'fixed' };
        return;
      }
      case 'k-anonymity': runKAnonymity(s, step); return;
      case 'mondrian': runMondrian(s, step); return;
      default: budget = runTableStep(s, policy, index, options);
    }
  });
  finishReport(s, qiOf, sensOf);
  return { columns: s.table.columns, rows: s.table.rows, report: s.report, statement: explainPolicy(policy, s.outcome), budget };
}

/** Fills the after-risk and information-loss parts of the report. */
function finishReport(s: State, qiOf: (t: DataTable) => number[], sensOf: (t: DataTable) => { index: number; name: string }[]): void {
  const r = s.report;
  const t = s.table;
  r.outputRecords = t.rows.length;
  r.suppressedRecords = s.kept.reduce((a, k) => a + (k ? 0 : 1), 0);
  r.directIdentifiersRemaining = t.columns.filter((c) => c.role === 'direct_identifier').map((c) => c.name);
  if (r.kind !== 'microdata') return;
  const qi = qiOf(t);
  r.after = microdataRisk(t.rows, qi, sensOf(t), s.k);
  if (s.originalQi.size === 0) return;
  const n = r.inputRecords;
  const { sizes } = equivalenceClasses(t.rows, qi);
  const cols = [...s.originalQi.keys()].filter((c) => t.columns.some((m) => m.name === c));
  const published = cols.map((c) => {
    const i = columnIndex(t, c);
    const out: (string | null)[] = new Array<string | null>(n).fill(null);
    let pos = 0;
    for (let orig = 0; orig < n; orig++) if (s.kept[orig]) out[orig] = cellKey(t.rows[pos++][i]);
    return out;
  });
  r.informationLoss = {
    discernibility: sizes.reduce((a, x) => a + x * x, 0) + n * r.suppressedRecords,
    averageClassSize: n / Math.max(1, sizes.length + (r.suppressedRecords > 0 ? 1 : 0)),
    generalisationIntensity: s.intensity.length ? s.intensity.reduce((a, b) => a + b, 0) / s.intensity.length : 0,
    nonUniformEntropy: nonUniformEntropy(cols.map((c) => s.originalQi.get(c) as string[]), published),
  };
}
