import { classCheck, type ClassCheck, type SensitiveCriterion, type SensitiveDomain } from './privacy.criteria';
import { iota } from './key-index';
import { InfeasibleRequestError, PolicyError } from './privacy.errors';

/** Quasi-identifiers as numeric columns (categorical ones as ordinal codes), one typed array each. */
export interface MondrianInput {
  columns: Float64Array[];
  n: number;
  /** Sensitive columns as value ids, with their domains, for l-diversity / t-closeness checks. */
  sensitive?: { ids: Int32Array; domain: SensitiveDomain; column: string }[];
}

/** Mondrian parameters: strict (disjoint value ranges) or relaxed (median duplicates split for balance). */
export interface MondrianOptions {
  k: number;
  mode: 'strict' | 'relaxed';
  criteria?: SensitiveCriterion[];
}

/** Partitions found: the partition of every row and each partition's per-QI range. */
export interface MondrianResult {
  partitionOf: Int32Array;
  partitions: number;
  sizes: Int32Array;
  /** [qi][partition] smallest and largest value in the partition. */
  lo: Float64Array[];
  hi: Float64Array[];
}

/** Swaps two entries of the index array. */
function swap(a: Int32Array, i: number, j: number): void { const t = a[i]; a[i] = a[j]; a[j] = t; }

/** k-th smallest value of col over idx[start..end) (quickselect, median-of-three pivots, in place). */
function selectValue(idx: Int32Array, col: Float64Array, start: number, end: number, kth: number): number {
  let lo = start;
  let hi = end - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const a = col[idx[lo]]; const b = col[idx[mid]]; const c = col[idx[hi]];
    const pivot = a < b ? (b < c ? b : a < c ? c : a) : (a < c ? a : b < c ? c : b);
    let i = lo; let j = hi;
    while (i <= j) {
      while (col[idx[i]] < pivot) i++;
      while (col[idx[j]] > pivot) j--;
      if (i <= j) { swap(idx, i, j); i++; j--; }
    }
    if (kth <= j) hi = j; else if (kth >= i) lo = i; else return col[idx[kth]];
  }
  return col[idx[kth]];
}

/** Three-way partition of idx[start..end) around v: returns [end of < v, end of = v]. */
function partition3(idx: Int32Array, col: Float64Array, start: number, end: number, v: number): [number, number] {
  let lt = start; let i = start; let gt = end - 1;
  while (i <= gt) {
    const x = col[idx[i]];
    if (x < v) { swap(idx, lt, i); lt++; i++; } else if (x > v) { swap(idx, i, gt); gt--; } else i++;
  }
  return [lt, gt + 1];
}

/**
 * Mondrian multidimensional local recoding (LeFevre et al. 2006): recursively cuts the table at
 * the median of the widest (normalised) quasi-identifier while both halves keep >= k records and
 * meet the sensitive criteria. Works in place on one index array; O(n log n) on typed arrays.
 */
export function mondrian(input: MondrianInput, options: MondrianOptions): MondrianResult {
  const { n, columns } = input;
  const d = columns.length;
  if (!Number.isInteger(options.k) || options.k < 1) throw new PolicyError(`k must be a positive integer, got ${options.k}`);
  if (n > 0 && options.k > n) throw new InfeasibleRequestError(`k = ${options.k} is larger than the number of records (${n})`);
  const sens = input.sensitive ?? [];
  const checks: { s: number; check: ClassCheck }[] = (options.criteria ?? []).map((c) => {
    const s = sens.findIndex((x) => x.column === c.column);
    if (s < 0) throw new PolicyError(`Sensitive column "${c.column}" is not among Mondrian's inputs`);
    return { s, check: classCheck(c, sens[s].domain) };
  });
  const hist = sens.map((s) => new Float64Array(s.domain.values.length));
  const maxM = Math.max(1, ...sens.map((s) => s.domain.values.length));
  const ids = new Int32Array(maxM);
  const counts = new Float64Array(maxM);
  const diverse = (idx: Int32Array, start: number, end: number): boolean => {
    for (const { s, check } of checks) {
      const h = hist[s];
      const col = sens[s].ids;
      let m = 0;
      for (let i = start; i < end; i++) { const v = col[idx[i]]; if (h[v] === 0) ids[m++] = v; h[v]++; }
      for (let i = 0; i < m; i++) { counts[i] = h[ids[i]]; h[ids[i]] = 0; }
      if (!check(ids, counts, m, end - start)) return false;
    }
    return true;
  };
  const idx = iota(n);
  const range = columns.map((col) => { let lo = Infinity; let hi = -Infinity; for (let i = 0; i < n; i++) { const v = col[i]; if (v < lo) lo = v; if (v > hi) hi = v; } return hi > lo ? hi - lo : 1; });
  if (n > 0 && !diverse(idx, 0, n)) throw new InfeasibleRequestError('The whole table does not meet the sensitive-attribute criteria');
  const partitionOf = new Int32Array(n);
  const sizes: number[] = [];
  const lo: number[][] = columns.map(() => []);
  const hi: number[][] = columns.map(() => []);
  const stack: number[] = n > 0 ? [0, n] : [];
  const segLo = new Float64Array(d);
  const segHi = new Float64Array(d);
  const k = options.k;
  const ok = (start: number, end: number): boolean => end - start >= k && (checks.length === 0 || diverse(idx, start, end));
  while (stack.length > 0) {
    const end = stack.pop() as number;
    const start = stack.pop() as number;
    for (let j = 0; j < d; j++) {
      const col = columns[j];
      let a = Infinity; let b = -Infinity;
      for (let i = start; i < end; i++) { const v = col[idx[i]]; if (v < a) a = v; if (v > b) b = v; }
      segLo[j] = a; segHi[j] = b;
    }
    let cut = -1;
    if (end - start >= 2 * k) {
      const dims = Array.from({ length: d }, (_, j) => j).filter((j) => segHi[j] > segLo[j]);
      dims.sort((x, y) => (segHi[y] - segLo[y]) / range[y] - (segHi[x] - segLo[x]) / range[x] || x - y);
      for (const j of dims) {
        const col = columns[j];
        const len = end - start;
        const median = selectValue(idx, col, start, end, start + ((len - 1) >> 1));
        const [ltEnd, eqEnd] = partition3(idx, col, start, end, median);
        if (options.mode === 'relaxed') {
          const half = start + (len >> 1);
          const m = half < ltEnd ? ltEnd : half > eqEnd ? eqEnd : half;
          if (m > start && m < end && ok(start, m) && ok(m, end)) { cut = m; break; }
        } else {
          if (eqEnd < end && ok(start, eqEnd) && ok(eqEnd, end)) { cut = eqEnd; break; }
          if (ltEnd > start && ok(start, ltEnd) && ok(ltEnd, end)) { cut = ltEnd; break; }
        }
      }
    }
    if (cut >= 0) { stack.push(cut, end, start, cut); continue; }
    const p = sizes.length;
    sizes.push(end - start);
    for (let j = 0; j < d; j++) { lo[j].push(segLo[j]); hi[j].push(segHi[j]); }
    for (let i = start; i < end; i++) partitionOf[idx[i]] = p;
  }
  return { partitionOf, partitions: sizes.length, sizes: Int32Array.from(sizes), lo: lo.map((x) => Float64Array.from(x)), hi: hi.map((x) => Float64Array.from(x)) };
}
