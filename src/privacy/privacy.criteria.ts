import { PolicyError } from './privacy.errors';

/** A privacy model on a sensitive column, checked per equivalence class (in the search and Mondrian). */
export type SensitiveCriterion =
  | { type: 'distinct-l'; column: string; l: number }
  | { type: 'entropy-l'; column: string; l: number }
  | { type: 'recursive-cl'; column: string; c: number; l: number }
  | { type: 't-closeness'; column: string; t: number; distance: 'equal' | 'ordered' };

/** Distribution of a sensitive column over the whole table, in value-id order. */
export interface SensitiveDomain {
  /** Distinct values, indexed by id. */
  values: readonly string[];
  /** Records per value id over the table. */
  counts: ArrayLike<number>;
  /** Rank of each id in the column's natural order (numeric when all values are numbers). */
  rank: ArrayLike<number>;
}

/** Checks one class given its histogram restricted to the ids it contains (ids, counts, total). */
export type ClassCheck = (ids: ArrayLike<number>, counts: ArrayLike<number>, m: number, total: number) => boolean;

/** Natural order of distinct values: numeric if all parse as numbers, else by code point. */
export function rankValues(values: readonly string[]): Int32Array {
  const numeric = values.length > 0 && values.every((v) => v.trim() !== '' && Number.isFinite(Number(v)));
  const order = values.map((_, i) => i).sort((a, b) => {
    if (numeric) return Number(values[a]) - Number(values[b]) || (values[a] < values[b] ? -1 : values[a] > values[b] ? 1 : 0);
    return values[a] < values[b] ? -1 : values[a] > values[b] ? 1 : 0;
  });
  const rank = new Int32Array(values.length);
  order.forEach((id, r) => { rank[id] = r; });
  return rank;
}

/** Validates a criterion's parameters once, before any search runs. */
export function validateCriterion(c: SensitiveCriterion): void {
  if (c.type === 't-closeness') {
    if (!(c.t >= 0 && c.t <= 1)) throw new PolicyError(`t-closeness t must be in [0, 1], got ${c.t}`);
    return;
  }
  if (!(c.l >= 1)) throw new PolicyError(`l must be at least 1, got ${c.l}`);
  if (c.type === 'recursive-cl' && !(c.c > 0)) throw new PolicyError(`recursive (c,l)-diversity needs c > 0, got ${c.c}`);
  if (c.type !== 'entropy-l' && !Number.isInteger(c.l)) throw new PolicyError(`l must be an integer, got ${c.l}`);
}

const EPS = 1e-12;

/** Entropy (natural log) of a class's sensitive values. */
export function classEntropy(counts: ArrayLike<number>, m: number, total: number): number {
  let h = 0;
  for (let i = 0; i < m; i++) { const p = counts[i] / total; if (p > 0) h -= p * Math.log(p); }
  return h;
}

/** Builds the per-class check of a criterion against the table's sensitive distribution. */
export function classCheck(c: SensitiveCriterion, domain: SensitiveDomain): ClassCheck {
  validateCriterion(c);
  switch (c.type) {
    case 'distinct-l':
      return (_ids, _counts, m) => m >= c.l;
    case 'entropy-l': {
      const bound = Math.log(c.l) - EPS;
      return (_ids, counts, m, total) => m >= Math.ceil(c.l - EPS) && classEntropy(counts, m, total) >= bound;
    }
    case 'recursive-cl':
      return (_ids, counts, m) => {
        if (m < c.l) return false;
        const sorted = Array.from({ length: m }, (_, i) => counts[i]).sort((a, b) => b - a);
        let tail = 0;
        for (let i = c.l - 1; i < m; i++) tail += sorted[i];
        return sorted[0] < c.c * tail;
      };
    case 't-closeness': {
      const size = domain.values.length;
      let n = 0;
      for (let i = 0; i < size; i++) n += domain.counts[i];
      const q = Float64Array.from({ length: size }, (_, i) => domain.counts[i] / n);
      if (c.distance === 'equal') {
        return (ids, counts, m, total) => {
          let d = 1;
          for (let i = 0; i < m; i++) { const qi = q[ids[i]]; d += Math.abs(counts[i] / total - qi) - qi; }
          return d / 2 <= c.t + EPS;
        };
      }
      const byRank = new Int32Array(size);
      for (let i = 0; i < size; i++) byRank[domain.rank[i]] = i;
      const p = new Float64Array(size);
      return (ids, counts, m, total) => {
        if (size <= 1) return true;
        for (let i = 0; i < m; i++) p[ids[i]] = counts[i] / total;
        let cum = 0;
        let d = 0;
        for (let r = 0; r < size - 1; r++) { const id = byRank[r]; cum += p[id] - q[id]; d += Math.abs(cum); }
        for (let i = 0; i < m; i++) p[ids[i]] = 0;
        return d / (size - 1) <= c.t + EPS;
      };
    }
  }
}
