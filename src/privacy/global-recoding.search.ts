import { baseUnits, NodeEvaluator, type LatticeData, type NodeStats, type NodeUnits } from './global-recoding.lattice';
import { isExactMetric, metricBound, metricScore, type Metric, type MetricContext } from './loss.metrics';
import type { SensitiveCriterion } from './privacy.criteria';
import { InfeasibleRequestError, PolicyError } from './privacy.errors';

/** Parameters of full-domain global recoding. */
export interface GlobalRecodingOptions {
  k: number;
  /** Fraction of records that may be suppressed (0..1); admissible when suppressed <= floor(s × n). */
  suppressionLimit: number;
  metric: Metric;
  criteria?: SensitiveCriterion[];
  /** Evaluate every node instead of pruning (the baseline the optimised search must match). */
  exhaustive?: boolean;
}

/** The optimal node and what it costs. */
export interface GlobalRecodingResult {
  levels: number[];
  score: number;
  suppressed: number;
  /** Equivalence classes that are kept (suppressed classes are not counted). */
  classes: number;
  stats: NodeStats;
  nodesEvaluated: number;
  nodesTotal: number;
}

const MAX_NODES = 50_000_000;
const CACHE_LIMIT = 40_000_000;

/** The lattice geometry: node index = Σ level_j × stride_j. */
class Lattice {
  readonly stride: number[];
  readonly total: number;
  constructor(readonly heights: number[]) {
    this.stride = [];
    let t = 1;
    for (let j = heights.length - 1; j >= 0; j--) { this.stride[j] = t; t *= heights[j]; }
    this.total = t;
  }
  levels(index: number): number[] {
    return this.heights.map((_, j) => Math.floor(index / this.stride[j]) % this.heights[j]);
  }
  height(index: number): number {
    let h = 0;
    for (let j = 0; j < this.heights.length; j++) h += Math.floor(index / this.stride[j]) % this.heights[j];
    return h;
  }
}

/**
 * Deterministic order of candidates: lower score, then lower height (less generalisation in total),
 * then the lexicographically smallest level vector in column order (equivalently the smallest node
 * index, since the first column has the largest stride).
 */
function better(score: number, height: number, index: number, best: { score: number; height: number; index: number } | null): boolean {
  if (best === null) return true;
  if (score !== best.score) return score < best.score;
  if (height !== best.height) return height < best.height;
  return index < best.index;
}

/** Min-heap of (key, height, index) entries, the search frontier. */
class Frontier {
  private keys: number[] = [];
  private heights: number[] = [];
  private nodes: number[] = [];
  get size(): number { return this.nodes.length; }
  private less(a: number, b: number): boolean {
    if (this.keys[a] !== this.keys[b]) return this.keys[a] < this.keys[b];
    if (this.heights[a] !== this.heights[b]) return this.heights[a] < this.heights[b];
    return this.nodes[a] < this.nodes[b];
  }
  private swap(a: number, b: number): void {
    [this.keys[a], this.keys[b]] = [this.keys[b], this.keys[a]];
    [this.heights[a], this.heights[b]] = [this.heights[b], this.heights[a]];
    [this.nodes[a], this.nodes[b]] = [this.nodes[b], this.nodes[a]];
  }
  push(key: number, height: number, node: number): void {
    this.keys.push(key); this.heights.push(height); this.nodes.push(node);
    let i = this.nodes.length - 1;
    while (i > 0) { const p = (i - 1) >> 1; if (!this.less(i, p)) break; this.swap(i, p); i = p; }
  }
  pop(): { key: number; node: number } {
    const top = { key: this.keys[0], node: this.nodes[0] };
    const last = this.nodes.length - 1;
    this.swap(0, last);
    this.keys.pop(); this.heights.pop(); this.nodes.pop();
    let i = 0;
    for (;;) {
      const l = 2 * i + 1; const r = l + 1; let m = i;
      if (l < last && this.less(l, m)) m = l;
      if (r < last && this.less(r, m)) m = r;
      if (m === i) break;
      this.swap(i, m); i = m;
    }
    return top;
  }
}

/** Validates the options against the data before searching. */
function checkOptions(data: LatticeData, o: GlobalRecodingOptions): void {
  if (!Number.isInteger(o.k) || o.k < 1) throw new PolicyError(`k must be a positive integer, got ${o.k}`);
  if (!(o.suppressionLimit >= 0 && o.suppressionLimit <= 1)) throw new PolicyError(`The suppression limit must be in [0, 1], got ${o.suppressionLimit}`);
  if (data.n > 0 && o.k > data.n) throw new InfeasibleRequestError(`k = ${o.k} is larger than the number of records (${data.n})`);
}

/**
 * Finds the optimal full-domain generalisation: the admissible node (suppressed <= floor(s × n),
 * every kept class of size >= k and meeting the sensitive criteria) with the lowest metric score,
 * ties broken as in `better`. Best-first over the lattice ordered by a lower bound inherited from
 * the parent; stops once no remaining node can beat the incumbent. Each node is rolled up from
 * the cached classes of a finer node rather than from the rows.
 */
export function searchOptimalGeneralisation(data: LatticeData, options: GlobalRecodingOptions): GlobalRecodingResult {
  checkOptions(data, options);
  const lattice = new Lattice(data.heights);
  if (lattice.total > MAX_NODES) throw new InfeasibleRequestError(`The generalisation lattice has ${lattice.total} nodes; use Mondrian or fewer levels`);
  const evaluator = new NodeEvaluator(data, options.k, options.criteria ?? []);
  const ctx: MetricContext = { n: data.n, k: options.k, leafTotal: data.leafTotal };
  const limit = Math.floor(options.suppressionLimit * data.n + 1e-9);
  const q = data.heights.length;
  const base = baseUnits(data);
  const cache = new Map<number, NodeUnits>();
  const pending = new Int32Array(lattice.total);
  let cached = 0;
  let evaluated = 0;
  let best: { score: number; height: number; index: number; stats: NodeStats } | null = null;
  const exact = isExactMetric(options.metric);
  const slack = (x: number): number => (exact ? 0 : Math.abs(x) * 1e-9 + 1e-12);

  const evaluateNode = (index: number, levels: number[], height: number): NodeStats => {
    let source: NodeUnits = base;
    for (let j = 0; j < q; j++) {
      if (levels[j] === 0) continue;
      const c = cache.get(index - lattice.stride[j]);
      if (c !== undefined && c.size < source.size) source = c;
    }
    let successors = 0;
    for (let j = 0; j < q; j++) if (levels[j] + 1 < data.heights[j]) successors++;
    const keep = successors > 0 && cached < CACHE_LIMIT;
    const { stats, units } = evaluator.evaluate(source, levels, keep);
    evaluated++;
    if (units !== null) { cache.set(index, units); cached += units.size; pending[index] = successors; }
    for (let j = 0; j < q; j++) {
      if (levels[j] === 0) continue;
      const p = index - lattice.stride[j];
      if (cache.has(p) && --pending[p] === 0) { cached -= (cache.get(p) as NodeUnits).size; cache.delete(p); }
    }
    if (stats.suppressed <= limit) {
      const score = metricScore(options.metric, stats, height, ctx);
      if (better(score, height, index, best)) best = { score, height, index, stats };
    }
    return stats;
  };

  if (options.exhaustive) {
    const order = Array.from({ length: lattice.total }, (_, i) => i);
    const heights = Int32Array.from(order, (i) => lattice.height(i));
    order.sort((a, b) => heights[a] - heights[b] || a - b);
    for (const index of order) evaluateNode(index, lattice.levels(index), heights[index]);
  } else {
    const state = new Uint8Array(lattice.total);
    const key = new Float64Array(lattice.total);
    const frontier = new Frontier();
    frontier.push(0, 0, 0);
    state[0] = 1;
    while (frontier.size > 0) {
      const { key: k, node } = frontier.pop();
      if (state[node] !== 1) continue;
      if (k < key[node]) { frontier.push(key[node], lattice.height(node), node); continue; }
      const b = best as { score: number; height: number } | null;
      if (b !== null && k > b.score + slack(b.score)) break;
      const levels = lattice.levels(node);
      const height = lattice.height(node);
      state[node] = 2;
      const stats = evaluateNode(node, levels, height);
      const lb = metricBound(options.metric, stats, height, ctx);
      const cur = best as { score: number; height: number } | null;
      const expand = cur === null || lb < cur.score - slack(cur.score) || (lb <= cur.score + slack(cur.score) && height + 1 <= cur.height);
      if (!expand) continue;
      for (let j = 0; j < q; j++) {
        if (levels[j] + 1 >= data.heights[j]) continue;
        const s = node + lattice.stride[j];
        if (state[s] === 2) continue;
        if (state[s] === 0) { state[s] = 1; key[s] = lb; frontier.push(lb, height + 1, s); } else if (lb > key[s]) key[s] = lb;
      }
    }
  }
  const found = best as { score: number; height: number; index: number; stats: NodeStats } | null;
  if (found === null) throw new InfeasibleRequestError(`No generalisation satisfies k = ${options.k} within the suppression limit ${options.suppressionLimit}`);
  return {
    levels: lattice.levels(found.index), score: found.score, suppressed: found.stats.suppressed, classes: found.stats.keptClasses,
    stats: found.stats, nodesEvaluated: evaluated, nodesTotal: lattice.total,
  };
}
