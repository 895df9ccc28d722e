import { PolicyError } from './privacy.errors';
import { cellKey, columnIndex, type Cell, type DataTable } from './table.model';

/** Aggregate functions of the group-by step. */
export const AGGREGATES = ['count', 'count_distinct', 'sum', 'mean', 'median', 'min', 'max'] as const;
/** One aggregate function (see AGGREGATES). */
export type Aggregate = (typeof AGGREGATES)[number];

/** One output measure: fn over column (count needs no column; count_distinct counts distinct non-empty values), named `as`. */
export interface MeasureSpec { fn: Aggregate; column?: string; as?: string }

/** The label used for marginal totals in table output. */
export const TOTAL_LABEL = 'Total';

/**
 * A table with marginal totals, the object of table protection. Cells are stored row-major over
 * dimensions of size (categories + 1): the last index of each dimension is its total.
 */
export interface ProtectedTable {
  dims: { name: string; values: string[] }[];
  /** Cell sizes per dimension (categories + 1). */
  shape: number[];
  /** Contributing records per cell. */
  count: Float64Array;
  /** Sum of the magnitude column per cell (equals count for frequency tables). */
  value: Float64Array;
  /** Largest contributions per cell, descending (for dominance and p% rules). */
  top: number[][];
  /** Name of the magnitude column, or null for a frequency table. */
  measure: string | null;
}

/** Numeric value of a cell, or an error naming the column. */
function numeric(v: Cell, column: string): number {
  const x = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  if (!Number.isFinite(x)) throw new PolicyError(`Column "${column}" has a non-numeric value`, { column });
  return x;
}

/** Applies one aggregate to a group's numbers. */
function apply(fn: Aggregate, xs: number[], rows: number, distinct: number): number | null {
  if (fn === 'count') return rows;
  if (fn === 'count_distinct') return distinct;
  if (xs.length === 0) return null;
  switch (fn) {
    case 'sum': return xs.reduce((a, b) => a + b, 0);
    case 'mean': return xs.reduce((a, b) => a + b, 0) / xs.length;
    case 'min': return Math.min(...xs);
    case 'max': return Math.max(...xs);
    case 'median': {
      const s = xs.slice().sort((a, b) => a - b);
      const m = s.length >> 1;
      return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
    }
  }
}

/** Group-by aggregation without protection (count, sum, mean, median, min, max); groups sorted by key. */
export function aggregateRows(table: DataTable, groupBy: string[], measures: MeasureSpec[]): { columns: string[]; rows: Cell[][]; sizes: number[] } {
  const g = groupBy.map((c) => columnIndex(table, c));
  const m = measures.map((s) => {
    if (s.fn !== 'count' && s.column === undefined) throw new PolicyError(`Aggregate ${s.fn} needs a column`);
    return { ...s, index: s.column === undefined ? -1 : columnIndex(table, s.column) };
  });
  const groups = new Map<string, { key: string[]; rows: number; values: number[][]; distinct: Set<string>[] }>();
  for (const row of table.rows) {
    const key = g.map((i) => cellKey(row[i]));
    const id = JSON.stringify(key);
    let grp = groups.get(id);
    if (grp === undefined) { grp = { key, rows: 0, values: m.map(() => []), distinct: m.map(() => new Set<string>()) }; groups.set(id, grp); }
    grp.rows++;
    m.forEach((s, i) => {
      if (s.index < 0 || row[s.index] === null || row[s.index] === '') return;
      if (s.fn === 'count_distinct') grp.distinct[i].add(cellKey(row[s.index]));
      else grp.values[i].push(numeric(row[s.index], s.column as string));
    });
  }
  const sorted = [...groups.values()].sort((a, b) => compareKeys(a.key, b.key));
  return {
    columns: [...groupBy, ...m.map((s) => s.as ?? (s.column ? `${s.fn}_${s.column}` : s.fn))],
    rows: sorted.map((grp) => [...grp.key, ...m.map((s, i) => apply(s.fn, grp.values[i], grp.rows, grp.distinct[i].size))]),
    /** Records per group. */
    sizes: sorted.map((grp) => grp.rows),
  };
}

/** Orders category keys: numerically when both are numbers, else by code point. */
export function compareKeys(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < a.length; i++) {
    if (a[i] === b[i]) continue;
    const x = Number(a[i]); const y = Number(b[i]);
    if (a[i] !== '' && b[i] !== '' && Number.isFinite(x) && Number.isFinite(y) && x !== y) return x - y;
    return a[i] < b[i] ? -1 : 1;
  }
  return 0;
}

/** Flat cell index of a coordinate vector. */
export function cellIndex(t: { shape: number[] }, coords: readonly number[]): number {
  let i = 0;
  for (let j = 0; j < coords.length; j++) i = i * t.shape[j] + coords[j];
  return i;
}

/** Coordinate vector of a flat cell index. */
export function cellCoords(t: { shape: number[] }, index: number): number[] {
  const out = new Array<number>(t.shape.length);
  for (let j = t.shape.length - 1; j >= 0; j--) { out[j] = index % t.shape[j]; index = Math.floor(index / t.shape[j]); }
  return out;
}

/**
 * Builds a 1-, 2- or 3-dimensional table with all marginal totals from microdata rows: counts, and
 * sums of `measure` with each cell's largest contributions (each record is one contributor).
 */
export function buildProtectedTable(table: DataTable, dims: string[], measure: string | null = null, keepTop = 3): ProtectedTable {
  if (dims.length < 1 || dims.length > 3) throw new PolicyError('Protected tables have 1, 2 or 3 dimensions');
  const di = dims.map((c) => columnIndex(table, c));
  const mi = measure === null ? -1 : columnIndex(table, measure);
  const values = di.map((i) => [...new Set(table.rows.map((r) => cellKey(r[i])))].sort((a, b) => compareKeys([a], [b])));
  const pos = values.map((vs) => new Map(vs.map((v, i) => [v, i])));
  const shape = values.map((vs) => vs.length + 1);
  const size = shape.reduce((a, b) => a * b, 1);
  const t: ProtectedTable = {
    dims: dims.map((name, j) => ({ name, values: values[j] })), shape,
    count: new Float64Array(size), value: new Float64Array(size), top: Array.from({ length: size }, () => []), measure,
  };
  const d = dims.length;
  for (const row of table.rows) {
    const coords = di.map((i, j) => pos[j].get(cellKey(row[i])) as number);
    const x = mi < 0 ? 1 : row[mi] === null || row[mi] === '' ? 0 : numeric(row[mi], measure as string);
    for (let mask = 0; mask < 1 << d; mask++) {
      const c = coords.map((v, j) => (mask & (1 << j) ? shape[j] - 1 : v));
      const idx = cellIndex(t, c);
      t.count[idx] += 1;
      t.value[idx] += x;
      if (mi >= 0) insertTop(t.top[idx], x, keepTop);
    }
  }
  return t;
}

/** Keeps the `keep` largest contributions, descending. */
function insertTop(top: number[], x: number, keep: number): void {
  if (top.length === keep && x <= top[keep - 1]) return;
  let i = top.length;
  top.push(x);
  while (i > 0 && top[i - 1] < x) { top[i] = top[i - 1]; i--; }
  top[i] = x;
  if (top.length > keep) top.pop();
}

/** Builds a frequency table with totals straight from category cells (tests, presets, the CLI). */
export function frequencyTable(dims: { name: string; values: string[] }[], counts: ArrayLike<number>): ProtectedTable {
  const shape = dims.map((d) => d.values.length + 1);
  const size = shape.reduce((a, b) => a * b, 1);
  const t: ProtectedTable = { dims, shape, count: new Float64Array(size), value: new Float64Array(size), top: Array.from({ length: size }, () => []), measure: null };
  const inner = dims.map((d) => d.values.length);
  const innerSize = inner.reduce((a, b) => a * b, 1);
  if (counts.length !== innerSize) throw new PolicyError(`Expected ${innerSize} interior cells, got ${counts.length}`);
  for (let i = 0; i < innerSize; i++) {
    const coords: number[] = [];
    let r = i;
    for (let j = inner.length - 1; j >= 0; j--) { coords[j] = r % inner[j]; r = Math.floor(r / inner[j]); }
    for (let mask = 0; mask < 1 << dims.length; mask++) {
      const idx = cellIndex(t, coords.map((v, j) => (mask & (1 << j) ? shape[j] - 1 : v)));
      t.count[idx] += counts[i];
      t.value[idx] += counts[i];
    }
  }
  return t;
}
