import type { ColumnRole, ColumnType } from '../catalogue/table-schema';
import { ValidationError } from '../errors';
import { DATE_LEVELS, METRICS, parsePolicy, POSTCODE_LEVELS, type HierarchySpec, type Policy, type PolicyInput } from '../privacy';
import type { PolicyCriterion } from '../privacy/policy.schema';
import type { ReleaseSettings } from './release-evidence';

/**
 * The release policy editor's form (issue 6 §1), pure: the form's fields → the privacy engine's
 * policy JSON and settings, and back. A policy the form cannot show (Mondrian, dp-sum, dominance
 * rules, hand-written hierarchies of several levels, …) makes `formFromPolicy` say why, and the
 * page opens it as JSON instead.
 *
 * The form emits steps in one order: drop, pseudonymise, one generalise step per column (in
 * column order), then the protection step. Under k-anonymity, a quasi-identifier's
 * generalisation is its hierarchy in the k-anonymity step (date and postcode with every coarser
 * level above the chosen one, so the search can go further), not a separate step.
 */

/** A column as the form sees it: from the current source's classification. */
export interface FormColumn {
  name: string;
  type: ColumnType;
  role: ColumnRole;
}

/** What happens to one column. */
export const TRANSFORMS = ['keep', 'drop', 'pseudonymise', 'generalise', 'topcode'] as const;
export type Transform = (typeof TRANSFORMS)[number];

/** One column's choice. `generalise` names the kind: bands, groups, date:<level>, postcode:<level>, truncate, grid, hierarchy. */
export interface ColumnChoice {
  transform: Transform;
  generalise: string;
  /** Band width, group breaks ("18, 25, 65"), coordinate decimals or grid metres, hierarchy level. */
  param: string;
  /** Unit of numeric bands, for the statement ("10-year bands"). */
  unit: string;
  /** ARX-style hierarchy CSV (value;level 1;level 2…), for `hierarchy`. */
  hierarchy: string;
  topCode: string;
  bottomCode: string;
}

export const PROTECTIONS = ['none', 'k-anonymity', 'table'] as const;
export const TABLE_METHODS = ['suppress', 'aggregate', 'dp'] as const;
export const TABLE_RULES = ['threshold', 'ons-10-5', 'nhs-1-7'] as const;
export const MEASURE_FNS = ['sum', 'mean', 'median', 'min', 'max'] as const;

/** The whole form, as strings and choices (what the HTML sends). */
export interface PolicyForm {
  seed: string;
  pseudonymScope: 'release' | 'global';
  columns: ColumnChoice[];
  protection: (typeof PROTECTIONS)[number];
  k: string;
  /** Percent of records that may be suppressed. */
  suppression: string;
  metric: (typeof METRICS)[number];
  /** Distinct l on every sensitive column ('' = none). */
  lDiversity: string;
  /** t-closeness on every sensitive column ('' = none). */
  tCloseness: string;
  tableMethod: (typeof TABLE_METHODS)[number];
  groupBy: string[];
  /** '' = counts only, else a numeric column. */
  measure: string;
  rule: (typeof TABLE_RULES)[number];
  /** Smallest count shown (threshold rule; minimum group size for aggregates, '' = none). */
  threshold: string;
  secondary: boolean;
  rounding: string;
  audit: boolean;
  /** Aggregate: '' = count rows, else count distinct values of this column. */
  countOf: string;
  /** Aggregate: name of the count ('' = the engine's default). */
  countName: string;
  measureFn: (typeof MEASURE_FNS)[number];
  measureName: string;
  epsilon: string;
  /** Differential privacy: one line per group-by column, "column: value, value". */
  categories: string;
  /** Household meter data: the time column ('' = not household data) and the output measure counting households. */
  householdTime: string;
  householdCount: string;
}

/** One problem with the form: the field (its HTML id) and what to do. */
export interface FormIssue {
  field: string;
  message: string;
}

/** Field names (also the HTML ids) of per-column inputs. */
export const columnField = {
  transform: (i: number) => `t_${i}`,
  generalise: (i: number) => `g_${i}`,
  param: (i: number) => `v_${i}`,
  unit: (i: number) => `u_${i}`,
  hierarchy: (i: number) => `h_${i}`,
  topCode: (i: number) => `tc_${i}`,
  bottomCode: (i: number) => `bc_${i}`,
};

const NUMERIC: ColumnType[] = ['integer', 'number'];
const isNumeric = (c: FormColumn) => NUMERIC.includes(c.type);
const isDate = (c: FormColumn) => c.type === 'date' || c.type === 'datetime';

/** The generalisations offered for a column's type: [value, label]. */
export function generalisationsFor(c: FormColumn): Array<[string, string]> {
  if (isNumeric(c)) return [['bands', 'Bands of a fixed width'], ['groups', 'Custom groups (breaks)']];
  if (isDate(c)) {
    const levels = DATE_LEVELS.filter((l) => l !== 'day' || c.type === 'datetime');
    return levels.map((l) => [`date:${l}`, l === 'day' ? 'Day (drop the time)' : l[0].toUpperCase() + l.slice(1)]);
  }
  const out: Array<[string, string]> = [];
  if (c.type === 'string') {
    out.push(...POSTCODE_LEVELS.filter((l) => l !== 'unit').map((l): [string, string] => [`postcode:${l}`, `Postcode ${l}`]));
    out.push(['truncate', 'Coordinates: keep N decimal places'], ['grid', 'Coordinates: square grid of N metres']);
  }
  out.push(['hierarchy', 'Your own hierarchy (CSV)']);
  return out;
}

const blankChoice = (transform: Transform): ColumnChoice => ({ transform, generalise: '', param: '', unit: '', hierarchy: '', topCode: '', bottomCode: '' });

/** A new form for a source: direct identifiers dropped, everything else kept, no protection. */
export function defaultForm(columns: FormColumn[], seed: string): PolicyForm {
  return {
    seed,
    pseudonymScope: 'release',
    columns: columns.map((c) => blankChoice(c.role === 'direct_identifier' ? 'drop' : 'keep')),
    protection: 'none',
    k: '5', suppression: '0', metric: 'loss', lDiversity: '', tCloseness: '',
    tableMethod: 'suppress', groupBy: [], measure: '', rule: 'threshold', threshold: '10', secondary: true, rounding: '', audit: true,
    countOf: '', countName: '', measureFn: 'sum', measureName: '', epsilon: '1', categories: '',
    householdTime: '', householdCount: '',
  };
}

/** The seed a new policy starts with: the dataset and today's date. */
export function defaultSeed(slug: string, now = new Date()): string {
  return `${slug}-${now.toISOString().slice(0, 10)}`;
}

// ---------------------------------------------------------------- form → policy

const NUMBER = /^-?\d+(\.\d+)?$/;
const fmt = (n: number) => String(n);

class Collector {
  issues: FormIssue[] = [];
  add(field: string, message: string): void {
    this.issues.push({ field, message });
  }
  number(field: string, raw: string, what: string, check: (n: number) => boolean, rule: string): number | undefined {
    const s = raw.trim();
    if (!NUMBER.test(s) || !check(Number(s))) {
      this.add(field, `${what} must be ${rule}`);
      return undefined;
    }
    return Number(s);
  }
}

function parseList(raw: string): number[] | null {
  const parts = raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (parts.length === 0 || !parts.every((p) => NUMBER.test(p))) return null;
  return parts.map(Number);
}

/** The hierarchy spec of a column's generalisation; `ladder` adds the coarser date/postcode levels (k-anonymity). */
function specOf(c: FormColumn, ch: ColumnChoice, i: number, ladder: boolean, col: Collector): { spec: HierarchySpec; level: number } | undefined {
  const label = `Column "${c.name}"`;
  if (ch.transform === 'topcode') {
    if (!isNumeric(c)) return void col.add(columnField.transform(i), `${label} is not numeric: it cannot be top-coded`);
    const top = col.number(columnField.topCode(i), ch.topCode, `${label}: the top code`, () => true, 'a number');
    const bottom = ch.bottomCode.trim() === '' ? undefined : col.number(columnField.bottomCode(i), ch.bottomCode, `${label}: the bottom code`, (n) => top === undefined || n < top, 'a number below the top code');
    if (top === undefined) return undefined;
    return { spec: { type: 'interval', topCode: top, ...(bottom !== undefined ? { bottomCode: bottom } : {}) }, level: 1 };
  }
  const g = ch.generalise;
  const offered = generalisationsFor(c).map(([v]) => v);
  if (!offered.includes(g)) return void col.add(columnField.generalise(i), `${label}: choose how to generalise it`);
  const unit = ch.unit.trim();
  if (g === 'bands') {
    const w = col.number(columnField.param(i), ch.param, `${label}: the band width`, (n) => n > 0, 'a number above 0');
    return w === undefined ? undefined : { spec: { type: 'interval', widths: [w], ...(unit ? { unit } : {}) }, level: 1 };
  }
  if (g === 'groups') {
    const b = parseList(ch.param);
    if (!b || b.some((x, j) => j > 0 && x <= b[j - 1])) return void col.add(columnField.param(i), `${label}: give the group breaks as increasing numbers separated by commas, e.g. 18, 25, 65`);
    return { spec: { type: 'interval', breaks: [b], ...(unit ? { unit } : {}) }, level: 1 };
  }
  if (g.startsWith('date:')) {
    const l = g.slice(5) as (typeof DATE_LEVELS)[number];
    const levels = !ladder ? [l] : l === 'week' ? DATE_LEVELS.slice(1) : DATE_LEVELS.slice(DATE_LEVELS.indexOf(l)).filter((x) => x !== 'week');
    return { spec: { type: 'date', levels: [...levels] }, level: 1 };
  }
  if (g.startsWith('postcode:')) {
    const l = g.slice(9) as (typeof POSTCODE_LEVELS)[number];
    return { spec: { type: 'postcode', levels: ladder ? POSTCODE_LEVELS.slice(POSTCODE_LEVELS.indexOf(l)) : [l] }, level: 1 };
  }
  if (g === 'truncate') {
    const d = col.number(columnField.param(i), ch.param, `${label}: the decimal places`, (n) => Number.isInteger(n) && n >= 0 && n <= 10, 'a whole number from 0 to 10');
    return d === undefined ? undefined : { spec: { type: 'coordinate', scheme: 'truncate', steps: [d] }, level: 1 };
  }
  if (g === 'grid') {
    const m = col.number(columnField.param(i), ch.param, `${label}: the grid size in metres`, (n) => n > 0, 'a number above 0');
    return m === undefined ? undefined : { spec: { type: 'coordinate', scheme: 'grid', steps: [m] }, level: 1 };
  }
  // hierarchy
  if (ch.hierarchy.trim() === '') return void col.add(columnField.hierarchy(i), `${label}: give the hierarchy, one line per value: value;level 1;level 2`);
  const spec: HierarchySpec = { type: 'csv', text: ch.hierarchy, delimiter: ';' };
  if (ladder) return { spec, level: 1 };
  const level = col.number(columnField.param(i), ch.param, `${label}: the hierarchy level`, (n) => Number.isInteger(n) && n >= 1, 'a whole number of 1 or more');
  return level === undefined ? undefined : { spec, level };
}

const kept = (ch: ColumnChoice) => ch.transform !== 'drop' && ch.transform !== 'pseudonymise';

/** Columns k-anonymity protects: quasi-identifiers that are neither dropped nor pseudonymised. */
function quasiIdentifiers(columns: FormColumn[], f: PolicyForm): number[] {
  return columns.map((c, i) => (c.role === 'quasi_identifier' && kept(f.columns[i]) ? i : -1)).filter((i) => i >= 0);
}
function sensitiveColumns(columns: FormColumn[], f: PolicyForm): number[] {
  return columns.map((c, i) => (c.role === 'sensitive' && kept(f.columns[i]) ? i : -1)).filter((i) => i >= 0);
}

/** The count measure's output name in aggregate mode. */
function countNameOf(f: PolicyForm): string {
  return f.countName.trim() || (f.countOf ? `count_distinct_${f.countOf}` : 'count');
}

function protectionStep(columns: FormColumn[], f: PolicyForm, col: Collector): PolicyInput['steps'][number] | undefined {
  const index = new Map(columns.map((c, i) => [c.name, i]));
  const usable = (name: string, field: string, what: string, numeric = false): boolean => {
    const i = index.get(name);
    if (i === undefined) return (col.add(field, `${what}: there is no column "${name}"`), false);
    if (!kept(f.columns[i])) return (col.add(field, `${what}: column "${name}" is ${f.columns[i].transform === 'drop' ? 'dropped' : 'pseudonymised'}`), false);
    if (numeric && !isNumeric(columns[i])) return (col.add(field, `${what}: column "${name}" is not numeric`), false);
    return true;
  };
  if (f.protection === 'k-anonymity') {
    const k = col.number('k', f.k, 'k', (n) => Number.isInteger(n) && n >= 1, 'a whole number of 1 or more');
    const s = col.number('suppression', f.suppression, 'The suppression limit', (n) => n >= 0 && n <= 100, 'a percentage from 0 to 100');
    if (!(METRICS as readonly string[]).includes(f.metric)) col.add('metric', 'Choose a metric');
    const qis = quasiIdentifiers(columns, f);
    if (qis.length === 0) col.add('protection', 'k-anonymity needs at least one column classified as a quasi-identifier that is kept');
    const quasi = qis.flatMap((i) => {
      if (f.columns[i].transform === 'keep') {
        col.add(columnField.transform(i), `Column "${columns[i].name}" is a quasi-identifier: k-anonymity needs its generalisation (choose one) unless you drop it`);
        return [];
      }
      const h = specOf(columns[i], f.columns[i], i, true, col);
      return h ? [{ column: columns[i].name, hierarchy: h.spec }] : [];
    });
    const sensitive = sensitiveColumns(columns, f);
    const criteria: PolicyCriterion[] = [];
    if ((f.lDiversity.trim() || f.tCloseness.trim()) && sensitive.length === 0) col.add(f.lDiversity.trim() ? 'lDiversity' : 'tCloseness', 'l-diversity and t-closeness need a kept column classified as sensitive');
    const l = f.lDiversity.trim() ? col.number('lDiversity', f.lDiversity, 'l', (n) => Number.isInteger(n) && n >= 1, 'a whole number of 1 or more') : undefined;
    const t = f.tCloseness.trim() ? col.number('tCloseness', f.tCloseness, 't', (n) => n >= 0 && n <= 1, 'a number from 0 to 1') : undefined;
    for (const i of sensitive) {
      if (l !== undefined) criteria.push({ type: 'distinct-l', column: columns[i].name, l });
      if (t !== undefined) criteria.push({ type: 't-closeness', column: columns[i].name, t, distance: isNumeric(columns[i]) ? 'ordered' : 'equal' });
    }
    if (k === undefined || s === undefined) return undefined;
    return { op: 'k-anonymity', k, suppressionLimit: Number((s / 100).toFixed(8)), metric: f.metric, quasiIdentifiers: quasi, criteria };
  }
  if (f.protection !== 'table') return undefined;
  const groupBy = [...new Set(f.groupBy)];
  if (groupBy.length === 0) col.add('groupBy', 'Choose at least one column to group by');
  if (f.tableMethod !== 'aggregate' && groupBy.length > 3) col.add('groupBy', 'Choose at most 3 columns to group by for a protected or differentially private table');
  groupBy.forEach((g) => usable(g, 'groupBy', 'Group by'));
  if (f.measure && !usable(f.measure, 'measure', 'Measure', true)) return undefined;
  if (f.tableMethod === 'suppress') {
    if (!(TABLE_RULES as readonly string[]).includes(f.rule)) col.add('rule', 'Choose how small counts are hidden');
    let base: { preset: 'ons-10-5' | 'nhs-1-7' } | { rules: Array<{ type: 'threshold'; min: number }>; secondary: boolean; rounding?: { base: number; mode: 'nearest' } };
    if (f.rule !== 'threshold') base = { preset: f.rule };
    else {
      const min = col.number('threshold', f.threshold, 'The smallest count shown', (n) => Number.isInteger(n) && n >= 1, 'a whole number of 1 or more');
      const rounding = f.rounding.trim() ? col.number('rounding', f.rounding, 'The rounding base', (n) => Number.isInteger(n) && n >= 1, 'a whole number of 1 or more') : undefined;
      base = { rules: min === undefined ? [] : [{ type: 'threshold', min }], secondary: f.secondary, ...(rounding !== undefined ? { rounding: { base: rounding, mode: 'nearest' as const } } : {}) };
    }
    return {
      op: 'protect-table', dimensions: groupBy, ...(f.measure ? { measure: f.measure } : {}), ...base, audit: f.audit,
    };
  }
  if (f.tableMethod === 'aggregate') {
    if (f.countOf) usable(f.countOf, 'countOf', 'Count distinct');
    if (!(MEASURE_FNS as readonly string[]).includes(f.measureFn)) col.add('measureFn', 'Choose how the measure is summarised');
    const countName = countNameOf(f);
    const measureName = f.measureName.trim() || (f.measure ? `${f.measureFn}_${f.measure}` : '');
    if (f.measure && measureName === countName) col.add('measureName', 'The count and the measure need different names');
    if (groupBy.includes(countName)) col.add('countName', `The count cannot be called "${countName}": a group-by column has that name`);
    if (f.measure && groupBy.includes(measureName)) col.add('measureName', `The summary cannot be called "${measureName}": a group-by column has that name`);
    const min = f.threshold.trim() ? col.number('threshold', f.threshold, 'The smallest group shown', (n) => Number.isInteger(n) && n >= 1, 'a whole number of 1 or more') : undefined;
    return {
      op: 'aggregate', groupBy,
      measures: [
        f.countOf ? { fn: 'count_distinct' as const, column: f.countOf, as: countName } : { fn: 'count' as const, as: countName },
        ...(f.measure ? [{ fn: f.measureFn, column: f.measure, as: measureName }] : []),
      ],
      ...(min !== undefined ? { minGroupSize: { measure: countName, min } } : {}),
    };
  }
  // differential privacy
  if (f.measure) col.add('measure', 'Differentially private tables here publish counts only: choose "count" as the measure, or write a dp-sum step as JSON');
  const eps = f.epsilon.trim();
  if (!/^\d+(\.\d+)?$|^\d+\/\d+$/.test(eps) || !(eps.includes('/') ? Number(eps.split('/')[0]) > 0 && Number(eps.split('/')[1]) > 0 : Number(eps) > 0)) {
    col.add('epsilon', 'ε must be a positive number such as 0.5 or a fraction such as 1/3');
  }
  const categories = parseCategories(f.categories, groupBy);
  for (const g of groupBy) if (!categories[g]) col.add('categories', `Give the categories of "${g}" on a line "${g}: value, value"`);
  return { op: 'dp-counts', dimensions: groupBy, categories, epsilon: eps };
}

function parseCategories(text: string, names: string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  const byLength = [...names].sort((a, b) => b.length - a.length);
  for (const line of text.split(/\r?\n/)) {
    const name = byLength.find((n) => line.startsWith(`${n}:`));
    if (!name) continue;
    const values = line.slice(name.length + 1).split(',').map((v) => v.trim()).filter((v) => v !== '');
    if (values.length) out[name] = values;
  }
  return out;
}

/** Converts the form to a policy and settings; a ValidationError lists every problem (`details.issues`). */
export function policyFromForm(columns: FormColumn[], f: PolicyForm): { policy: Policy; settings: ReleaseSettings } {
  const col = new Collector();
  if (f.columns.length !== columns.length) throw new ValidationError('The form does not match the source columns; reload the page', { issues: [] });
  if (f.seed.trim() === '') col.add('seed', 'Give a seed (any text, e.g. the dataset and date)');
  const steps: PolicyInput['steps'] = [];
  const drop = columns.filter((_, i) => f.columns[i].transform === 'drop').map((c) => c.name);
  if (drop.length) steps.push({ op: 'drop', columns: drop });
  const pseudo = columns.filter((_, i) => f.columns[i].transform === 'pseudonymise').map((c) => c.name);
  if (pseudo.length) steps.push({ op: 'pseudonymise', columns: pseudo, secret: 'pseudonym_key', scope: f.pseudonymScope === 'global' ? 'global' : 'release', length: 32 });
  const kanonQi = new Set(f.protection === 'k-anonymity' ? quasiIdentifiers(columns, f) : []);
  columns.forEach((c, i) => {
    const ch = f.columns[i];
    if (!(TRANSFORMS as readonly string[]).includes(ch.transform)) return col.add(columnField.transform(i), `Column "${c.name}": choose what happens to it`);
    if ((ch.transform === 'generalise' || ch.transform === 'topcode') && !kanonQi.has(i)) {
      const h = specOf(c, ch, i, false, col);
      if (h) steps.push({ op: 'generalise', column: c.name, hierarchy: h.spec, level: h.level });
    }
  });
  const last = protectionStep(columns, f, col);
  if (last) steps.push(last);
  let settings: ReleaseSettings = {};
  if (f.householdTime) {
    const i = columns.findIndex((c) => c.name === f.householdTime);
    if (i < 0 || !isDate(columns[i])) col.add('householdTime', 'The household time column must be a date or datetime column');
    else if (f.columns[i].transform === 'drop') col.add('householdTime', `The household time column "${f.householdTime}" is dropped`);
    const count = f.householdCount.trim() || (f.protection === 'table' && f.tableMethod === 'aggregate' ? countNameOf(f) : '');
    if (!count) col.add('householdCount', 'Name the output measure that counts households');
    settings = { household: { timeColumn: f.householdTime, countMeasure: count } };
  }
  if (col.issues.length) throw new ValidationError(col.issues.map((x) => x.message).join('; '), { issues: col.issues });
  return { policy: parsePolicy({ version: 1, seed: f.seed.trim(), steps }), settings };
}

// ---------------------------------------------------------------- policy → form

/** Thrown inside `formFromPolicy` when the form cannot show a policy. */
class NotExpressible extends Error {}
const no = (why: string): never => {
  throw new NotExpressible(why);
};

function choiceFromSpec(c: FormColumn, spec: HierarchySpec, level: number, ladder: boolean): ColumnChoice {
  const ch = blankChoice('generalise');
  /** The entry of a list of levels the step uses: the chosen level, or the only one of a k-anonymity hierarchy. */
  const pick = <T>(xs: readonly T[], what: string): T => {
    if (ladder ? xs.length !== 1 : level < 1 || level > xs.length) no(`the ${what} of "${c.name}" cannot be shown in the form`);
    return xs[ladder ? 0 : level - 1];
  };
  switch (spec.type) {
    case 'interval': {
      if (spec.origin !== undefined && spec.origin !== 0) no(`the bands of "${c.name}" have an origin`);
      const widths = spec.widths ?? [];
      const breaks = spec.breaks ?? [];
      const coded = spec.topCode !== undefined || spec.bottomCode !== undefined;
      if (!isNumeric(c)) no(`"${c.name}" is not numeric`);
      if (widths.length === 0 && breaks.length === 0) {
        if (spec.topCode === undefined || (!ladder && level !== 1)) no(`the coding of "${c.name}" cannot be shown in the form`);
        return { ...blankChoice('topcode'), topCode: fmt(spec.topCode!), bottomCode: spec.bottomCode === undefined ? '' : fmt(spec.bottomCode) };
      }
      if (coded || (widths.length && breaks.length)) no(`the bands of "${c.name}" have top/bottom codes or both widths and breaks`);
      ch.unit = spec.unit ?? '';
      if (widths.length) return { ...ch, generalise: 'bands', param: fmt(pick(widths, 'bands')) };
      const b = pick(breaks, 'groups');
      if (b.some((x, j) => j > 0 && x <= b[j - 1])) no(`the groups of "${c.name}" are not increasing`);
      return { ...ch, generalise: 'groups', param: b.map(fmt).join(', ') };
    }
    case 'date': {
      const levels = spec.levels ?? ['week', 'month', 'quarter', 'year'];
      if (!ladder && (level < 1 || level > levels.length)) no(`the date generalisation of "${c.name}" has no level ${level}`);
      const chosen = ladder ? levels[0] : levels[level - 1];
      if (!isDate(c)) no(`"${c.name}" is not a date`);
      if (chosen === 'day' && c.type !== 'datetime') no(`"${c.name}" is a date: generalising it to days changes nothing`);
      if (ladder) {
        const expect = chosen === 'week' ? DATE_LEVELS.slice(1) : DATE_LEVELS.slice(DATE_LEVELS.indexOf(chosen)).filter((x) => x !== 'week');
        if (levels.join() !== expect.join()) no(`the date hierarchy of "${c.name}" is not a standard ladder`);
      } else if (levels.includes('week') && chosen !== 'week' && chosen !== 'day') no(`the date hierarchy of "${c.name}" anchors months to ISO weeks`);
      return { ...ch, generalise: `date:${chosen}` };
    }
    case 'postcode': {
      const levels = spec.levels ?? ['sector', 'district', 'area'];
      if (!ladder && (level < 1 || level > levels.length)) no(`the postcode generalisation of "${c.name}" has no level ${level}`);
      const chosen = ladder ? levels[0] : levels[level - 1];
      if (c.type !== 'string' || chosen === 'unit') no(`the postcode generalisation of "${c.name}" cannot be shown`);
      if (ladder && levels.join() !== POSTCODE_LEVELS.slice(POSTCODE_LEVELS.indexOf(chosen)).join()) no(`the postcode hierarchy of "${c.name}" is not a standard ladder`);
      return { ...ch, generalise: `postcode:${chosen}` };
    }
    case 'coordinate':
      if (c.type !== 'string' || spec.scheme === 'h3' || spec.refLatitude !== undefined) no(`the coordinate generalisation of "${c.name}" cannot be shown`);
      return { ...ch, generalise: spec.scheme, param: fmt(pick(spec.steps, 'coordinate levels')) };
    case 'csv':
      if ((spec.delimiter ?? ';') !== ';') no(`the hierarchy of "${c.name}" uses another delimiter`);
      if (isNumeric(c) || isDate(c)) no(`"${c.name}" has a hand-written hierarchy`);
      return { ...ch, generalise: 'hierarchy', hierarchy: spec.text, param: ladder ? '' : fmt(level) };
    case 'table':
      return no(`"${c.name}" has an inline hierarchy table`);
  }
}

/** The form for a stored policy, or why it can only be edited as JSON. */
export function formFromPolicy(columns: FormColumn[], policyJson: unknown, settings: ReleaseSettings | undefined): { form: PolicyForm } | { reason: string } {
  try {
    return { form: toForm(columns, parsePolicy(policyJson), settings ?? {}) };
  } catch (err) {
    if (err instanceof NotExpressible) return { reason: err.message };
    if (err instanceof Error) return { reason: err.message };
    throw err;
  }
}

function toForm(columns: FormColumn[], policy: Policy, settings: ReleaseSettings): PolicyForm {
  const f = defaultForm(columns, policy.seed);
  const index = new Map(columns.map((c, i) => [c.name, i]));
  const assigned = new Set<number>();
  const columnAt = (name: string): number => {
    const i = index.get(name);
    if (i === undefined) return no(`the policy names column "${name}", which the source does not have`);
    if (assigned.has(i)) no(`column "${name}" is changed by more than one step`);
    assigned.add(i);
    return i;
  };
  f.columns = columns.map(() => blankChoice('keep'));
  let scope: string | undefined;
  policy.steps.forEach((s, n) => {
    const isLast = n === policy.steps.length - 1;
    switch (s.op) {
      case 'drop':
        s.columns.forEach((c) => (f.columns[columnAt(c)] = blankChoice('drop')));
        return;
      case 'pseudonymise':
        if (s.secret !== 'pseudonym_key' || s.length !== 32 || (scope !== undefined && scope !== s.scope)) no('a pseudonymisation step uses other settings');
        scope = s.scope;
        f.pseudonymScope = s.scope;
        s.columns.forEach((c) => (f.columns[columnAt(c)] = blankChoice('pseudonymise')));
        return;
      case 'generalise': {
        const i = columnAt(s.column);
        f.columns[i] = choiceFromSpec(columns[i], s.hierarchy, s.level, false);
        return;
      }
      case 'k-anonymity': {
        if (!isLast) no('steps come after k-anonymity');
        f.protection = 'k-anonymity';
        f.k = fmt(s.k);
        f.suppression = fmt(Number((s.suppressionLimit * 100).toFixed(6)));
        f.metric = s.metric;
        for (const q of s.quasiIdentifiers) {
          const i = columnAt(q.column);
          f.columns[i] = choiceFromSpec(columns[i], q.hierarchy, 1, true);
        }
        const expect = quasiIdentifiers(columns, f).map((i) => columns[i].name);
        if (expect.join('\n') !== s.quasiIdentifiers.map((q) => q.column).join('\n')) no('its quasi-identifiers are not the columns classified as quasi-identifiers');
        criteriaToForm(columns, f, s.criteria);
        return;
      }
      case 'protect-table': {
        f.protection = 'table';
        f.tableMethod = 'suppress';
        f.groupBy = s.dimensions.slice();
        f.measure = s.measure ?? '';
        if (s.marker !== undefined) no('the table sets its own marker for hidden cells');
        f.audit = s.audit;
        if (s.preset) {
          if (s.rules || s.secondary !== undefined || s.rounding) no('the table changes a preset');
          f.rule = s.preset;
          f.threshold = '';
          return;
        }
        const rule = s.rules?.length === 1 ? s.rules[0] : undefined;
        if (!rule || rule.type !== 'threshold') no('the table uses dominance, p% or several rules');
        f.rule = 'threshold';
        f.threshold = fmt((rule as { min: number }).min);
        f.secondary = s.secondary ?? true;
        if (s.rounding && s.rounding.mode !== 'nearest') no('the table rounds randomly');
        f.rounding = s.rounding ? fmt(s.rounding.base) : '';
        return;
      }
      case 'aggregate': {
        f.protection = 'table';
        f.tableMethod = 'aggregate';
        f.groupBy = s.groupBy.slice();
        const [count, measure, ...rest] = s.measures;
        if (rest.length || (count.fn !== 'count' && count.fn !== 'count_distinct')) no('the aggregate has other measures than a count and one summary');
        if (count.fn === 'count' && count.column) no('the count names a column');
        f.countOf = count.fn === 'count_distinct' ? count.column ?? no('count_distinct without a column') : '';
        const countName = count.as ?? (count.column ? `${count.fn}_${count.column}` : count.fn);
        f.countName = countName === (f.countOf ? `count_distinct_${f.countOf}` : 'count') ? '' : countName;
        if (measure) {
          if (!(MEASURE_FNS as readonly string[]).includes(measure.fn) || !measure.column) no('the aggregate summary cannot be shown');
          f.measure = measure.column!;
          f.measureFn = measure.fn as PolicyForm['measureFn'];
          const name = measure.as ?? `${measure.fn}_${measure.column}`;
          f.measureName = name === `${measure.fn}_${measure.column}` ? '' : name;
        }
        if (s.minGroupSize && s.minGroupSize.measure !== countName) no('the minimum group size is on another measure than the count');
        f.threshold = s.minGroupSize ? fmt(s.minGroupSize.min) : '';
        return;
      }
      case 'dp-counts': {
        if (s.mechanism !== 'laplace' || s.randomness !== 'secure' || !s.clampNegative) no('the differential privacy step changes the mechanism, randomness or clamping');
        f.protection = 'table';
        f.tableMethod = 'dp';
        f.groupBy = s.dimensions.slice();
        f.epsilon = String(s.epsilon);
        const keys = Object.keys(s.categories);
        if (keys.length !== s.dimensions.length || !s.dimensions.every((d) => keys.includes(d))) no('the categories do not match the dimensions');
        if (Object.values(s.categories).some((vs) => vs.some((v) => v !== v.trim() || v === '' || /[,\r\n]/.test(v)))) no('a category contains a comma, a line break or spaces at its ends');
        f.categories = s.dimensions.map((d) => `${d}: ${s.categories[d].join(', ')}`).join('\n');
        return;
      }
      default:
        no(`the form has no ${s.op} step`);
    }
  });
  if (settings.household) {
    f.householdTime = settings.household.timeColumn;
    f.householdCount = settings.household.countMeasure === (f.protection === 'table' && f.tableMethod === 'aggregate' ? countNameOf(f) : '') ? '' : settings.household.countMeasure;
  }
  return f;
}

function criteriaToForm(columns: FormColumn[], f: PolicyForm, criteria: PolicyCriterion[]): void {
  const sensitive = sensitiveColumns(columns, f).map((i) => columns[i]);
  const ls = new Set<number>();
  const ts = new Set<number>();
  for (const c of criteria) {
    const col = sensitive.find((x) => x.name === c.column) ?? no(`a criterion is on "${c.column}", which is not a kept sensitive column`);
    if (c.type === 'distinct-l') ls.add(c.l);
    else if (c.type === 't-closeness' && c.distance === (isNumeric(col) ? 'ordered' : 'equal')) ts.add(c.t);
    else no(`the criterion on "${c.column}" cannot be shown`);
  }
  if (ls.size > 1 || ts.size > 1) no('the sensitive columns have different criteria');
  f.lDiversity = ls.size ? fmt([...ls][0]) : '';
  f.tCloseness = ts.size ? fmt([...ts][0]) : '';
  const expected = sensitive.length * (ls.size + ts.size);
  if (criteria.length !== expected) no('not every sensitive column has the same criteria');
  // Canonical order: per column, l then t.
  const order = sensitive.flatMap((c) => [...(ls.size ? [`distinct-l:${c.name}`] : []), ...(ts.size ? [`t-closeness:${c.name}`] : [])]);
  if (order.join('\n') !== criteria.map((c) => `${c.type}:${c.column}`).join('\n')) no('the criteria are in another order');
}
