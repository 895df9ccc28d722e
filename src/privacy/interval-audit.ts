import { cellCoords, cellIndex, type ProtectedTable } from './table-aggregation';

/** An exact rational number (BigInt numerator / positive denominator), for the audit LP. */
class Q {
  constructor(readonly n: bigint, readonly d: bigint = 1n) {}
  static of(n: bigint, d: bigint): Q {
    if (d < 0n) { n = -n; d = -d; }
    let a = n < 0n ? -n : n; let b = d;
    while (b !== 0n) { [a, b] = [b, a % b]; }
    return a > 1n ? new Q(n / a, d / a) : new Q(n, d);
  }
  add(o: Q): Q { return Q.of(this.n * o.d + o.n * this.d, this.d * o.d); }
  sub(o: Q): Q { return Q.of(this.n * o.d - o.n * this.d, this.d * o.d); }
  mul(o: Q): Q { return Q.of(this.n * o.n, this.d * o.d); }
  div(o: Q): Q { return Q.of(this.n * o.d, this.d * o.n); }
  sign(): number { return this.n > 0n ? 1 : this.n < 0n ? -1 : 0; }
  lt(o: Q): boolean { return this.n * o.d < o.n * this.d; }
  toNumber(): number { return Number(this.n) / Number(this.d); }
}
const ZERO = new Q(0n);
const ONE = new Q(1n);


/**
 * Exact two-phase simplex with Bland's rule (no cycling) over rationals. Phase 1 runs once; each
 * objective then re-optimises a copy of the feasible tableau.
 */
class ExactLp {
  private rows: Q[][] = [];
  private basis: number[] = [];
  readonly feasible: boolean;
  constructor(A: number[][], b: number[], private readonly nv: number) {
    const m = A.length;
    const width = nv + m + 1;
    this.rows = A.map((row, i) => {
      const s = b[i] < 0 ? -1 : 1;
      const r = new Array<Q>(width).fill(ZERO);
      for (let j = 0; j < nv; j++) if (row[j] !== 0) r[j] = new Q(BigInt(s * row[j]));
      r[nv + i] = ONE;
      r[width - 1] = new Q(BigInt(s * b[i]));
      return r;
    });
    this.basis = A.map((_, i) => nv + i);
    const obj = new Array<Q>(width).fill(ZERO);
    for (let i = 0; i < m; i++) obj[nv + i] = ONE;
    const value = this.optimise(obj, width - 1);
    this.feasible = value !== null && value.sign() === 0;
    if (!this.feasible) return;
    for (let i = this.rows.length - 1; i >= 0; i--) {
      if (this.basis[i] < nv) continue;
      const j = this.rows[i].findIndex((x, c) => c < nv && x.sign() !== 0);
      if (j >= 0) this.pivot(i, j); else { this.rows.splice(i, 1); this.basis.splice(i, 1); }
    }
    this.rows = this.rows.map((r) => [...r.slice(0, nv), r[width - 1]]);
  }

  private pivot(r: number, c: number): void {
    const p = this.rows[r][c];
    this.rows[r] = this.rows[r].map((x) => (x.sign() === 0 ? x : x.div(p)));
    for (let i = 0; i < this.rows.length; i++) {
      if (i === r) continue;
      const f = this.rows[i][c];
      if (f.sign() === 0) continue;
      const pr = this.rows[r];
      this.rows[i] = this.rows[i].map((x, j) => (pr[j].sign() === 0 ? x : x.sub(f.mul(pr[j]))));
    }
    this.basis[r] = c;
  }

  /** Minimises obj over columns < limit; null when unbounded. Mutates the tableau. */
  private optimise(obj: Q[], limit: number): Q | null {
    const last = this.rows[0]?.length ?? limit + 1;
    for (;;) {
      const reduced = (j: number): Q => {
        let z = obj[j];
        for (let i = 0; i < this.rows.length; i++) if (this.rows[i][j].sign() !== 0) z = z.sub(obj[this.basis[i]].mul(this.rows[i][j]));
        return z;
      };
      let enter = -1;
      for (let j = 0; j < limit && enter < 0; j++) if (!this.basis.includes(j) && reduced(j).sign() < 0) enter = j;
      if (enter < 0) {
        let v = ZERO;
        for (let i = 0; i < this.rows.length; i++) v = v.add(obj[this.basis[i]].mul(this.rows[i][last - 1]));
        return v;
      }
      let leave = -1;
      let best: Q | null = null;
      for (let i = 0; i < this.rows.length; i++) {
        const a = this.rows[i][enter];
        if (a.sign() <= 0) continue;
        const ratio = this.rows[i][last - 1].div(a);
        if (best === null || ratio.lt(best) || (!best.lt(ratio) && this.basis[i] < this.basis[leave])) { best = ratio; leave = i; }
      }
      if (leave < 0) return null;
      this.pivot(leave, enter);
    }
  }

  /** Minimum of c·x (null = -infinity), leaving this tableau untouched. */
  minimise(c: number[]): Q | null {
    const copy = Object.create(ExactLp.prototype) as ExactLp;
    copy.rows = this.rows.map((r) => r.slice());
    copy.basis = this.basis.slice();
    const obj = [...c.map((x) => new Q(BigInt(x))), ZERO];
    return copy.optimise(obj, this.nv);
  }
}

/** Feasible range of one suppressed cell given everything published. */
export interface CellInterval { cell: number; coords: number[]; value: number; min: number; max: number }

/**
 * Interval audit: for each suppressed cell, the exact min and max value consistent with the
 * published cells, the additivity of every marginal total and non-negativity (an LP over the
 * suppressed cells, solved in exact rational arithmetic; max = Infinity when unbounded).
 * A cell is protected when max > min; with integer data an attacker can also round to
 * ceil(min)..floor(max), which `integerRange` reports.
 */
export function auditIntervals(t: ProtectedTable, suppressed: ArrayLike<number>, values: ArrayLike<number> = t.value): CellInterval[] {
  const size = t.count.length;
  const vars: number[] = [];
  const varOf = new Int32Array(size).fill(-1);
  for (let i = 0; i < size; i++) if (suppressed[i]) { varOf[i] = vars.length; vars.push(i); }
  if (vars.length === 0) return [];
  const A: number[][] = [];
  const b: number[] = [];
  const d = t.shape.length;
  for (let j = 0; j < d; j++) {
    const seen = new Set<number>();
    for (let i = 0; i < size; i++) {
      const c = cellCoords(t, i);
      c[j] = 0;
      const start = cellIndex(t, c);
      if (seen.has(start)) continue;
      seen.add(start);
      const row = new Array<number>(vars.length).fill(0);
      let rhs = 0;
      let any = false;
      for (let x = 0; x < t.shape[j]; x++) {
        c[j] = x;
        const idx = cellIndex(t, c);
        const coef = x === t.shape[j] - 1 ? -1 : 1;
        if (varOf[idx] >= 0) { row[varOf[idx]] += coef; any = true; } else rhs -= coef * values[idx];
      }
      if (any) { A.push(row); b.push(rhs); }
    }
  }
  const lp = new ExactLp(A, b, vars.length);
  if (!lp.feasible) throw new Error('Audit: the published table is inconsistent');
  return vars.map((cell, v) => {
    const c = vars.map((_, i) => (i === v ? 1 : 0));
    const lo = lp.minimise(c);
    const hi = lp.minimise(c.map((x) => -x));
    return { cell, coords: cellCoords(t, cell), value: values[cell], min: lo === null ? -Infinity : lo.toNumber(), max: hi === null ? Infinity : -hi.toNumber() };
  });
}

/** Integer values an attacker can still consider for a cell (counts are whole numbers). */
export function integerRange(i: CellInterval): { min: number; max: number } {
  return { min: Math.ceil(i.min - 1e-9), max: i.max === Infinity ? Infinity : Math.floor(i.max + 1e-9) };
}
