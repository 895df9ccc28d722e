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
  /** Units read while rolling up classes: the search's work, independent of machine load. */
  unitsRolledUp: number;
  nodesTotal: number;
}

const MAX_NODES = 50_000_000;
const CACHE_LIMIT = 40_000_000;
/** Lattice nodes visited when looking for a cached finer node to roll up from. */
const SOURCE_WALK = 256;

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
 * ties broken as in `better`.
 *
 * A best-first search ordered by a lower bound on the metric inherited from the parents (valid for
 * every generalisation of a node: classes only merge going up, and a suppressed record costs at
 * least as much as a kept one); it stops once no remaining node can beat the incumbent.
 * Admissibility is learnt lazily with few checks: binary search along upward paths, tagging the
 * whole up-set of an admissible node and the whole down-set of an inadmissible one (valid when
 * admissibility is monotone: k and distinct-l always, the other criteria only without
 * suppression); inadmissible nodes are not evaluated, they pass their parent's bound on.
 * Every evaluation rolls up the cached classes of a cheap finer node instead of the rows.
 */
export function searchOptimalGeneralisation(data: LatticeData, options: GlobalRecodingOptions): GlobalRecodingResult {
  checkOptions(data, options);
  const lattice = new Lattice(data.heights);
  if (lattice.total > MAX_NODES) throw new InfeasibleRequestError(`The generalisation lattice has ${lattice.total} nodes; use Mondrian or fewer levels`);
  const evaluator = new NodeEvaluator(data, options.k, options.criteria ?? [], options.metric === 'loss');
  const ctx: MetricContext = { n: data.n, k: options.k, leafTotal: data.leafTotal };
  const limit = Math.floor(options.suppressionLimit * data.n + 1e-9);
  const q = data.heights.length;
  const base = baseUnits(data);
  const cache = new Map<number, NodeUnits>();
  let cached = 0;
  let evaluated = 0;
  let rolled = 0;
  let best: { score: number; height: number; index: number; stats: NodeStats } | null = null;
  const exact = isExactMetric(options.metric);
  const slack = (x: number): number => (exact ? 0 : Math.abs(x) * 1e-9 + 1e-12);
  // Suppressed counts only fall when classes merge under k and distinct-l; entropy-l, recursive (c,l)
  // and t-closeness can fail after a merge, so with suppression allowed admissibility is not tagged.
  const monotone = limit === 0 || (options.criteria ?? []).every((c) => c.type === 'distinct-l');
  const hasSuccessor = (levels: number[]): boolean => levels.some((l, j) => l + 1 < data.heights[j]);

  const consider = (index: number, height: number, stats: NodeStats): void => {
    if (stats.suppressed > limit) return;
    const score = metricScore(options.metric, stats, height, ctx);
    if (better(score, height, index, best)) best = { score, height, index, stats };
  };

  if (options.exhaustive) {
    const pending = new Int32Array(lattice.total);
    const order = Array.from({ length: lattice.total }, (_, i) => i);
    const heights = Int32Array.from(order, (i) => lattice.height(i));
    order.sort((a, b) => heights[a] - heights[b] || a - b);
    for (const index of order) {
      const levels = lattice.levels(index);
      let source: NodeUnits = base;
      for (let j = 0; j < q; j++) {
        const c = levels[j] > 0 ? cache.get(index - lattice.stride[j]) : undefined;
        if (c !== undefined && c.size < source.size) source = c;
      }
      const successors = levels.filter((l, j) => l + 1 < data.heights[j]).length;
      const { stats, units } = evaluator.evaluate(source, levels, successors > 0);
      evaluated++;
      rolled += source.size;
      if (units !== null) { cache.set(index, units); pending[index] = successors; }
      for (let j = 0; j < q; j++) {
        const p = index - lattice.stride[j];
        if (levels[j] > 0 && cache.has(p) && --pending[p] === 0) cache.delete(p);
      }
      consider(index, heights[index], stats);
    }
  } else {
    const statsOf = new Map<number, NodeStats>();
    const cacheAt: (NodeUnits | undefined)[] = new Array<NodeUnits | undefined>(lattice.total);
    const levelOf = new Int8Array(lattice.total * q);
    for (let x = 0; x < lattice.total; x++) lattice.levels(x).forEach((l, j) => { levelOf[x * q + j] = l; });
    const seen = new Int32Array(lattice.total);
    let stamp = 0;
    const queue = new Int32Array(SOURCE_WALK + q);
    const evaluate = (index: number, levels: number[]): NodeStats => {
      // Source to roll up from: the cheapest cached node among the finer nodes nearest to this one
      // (cost ~ its units × (2 + columns whose level changes)), found by a bounded walk down the
      // lattice that stops at cached nodes (anything below a cached node has at least its classes).
      let source: NodeUnits = base;
      let cost = base.size * (2 + levels.filter((l) => l > 0).length);
      stamp++;
      let tail = 0;
      queue[tail++] = index;
      seen[index] = stamp;
      for (let head = 0; head < tail; head++) {
        const x = queue[head];
        const c = x === index ? undefined : cacheAt[x];
        if (c !== undefined) {
          let changed = 0;
          for (let j = 0; j < q; j++) if (levelOf[x * q + j] !== levels[j]) changed++;
          if (c.size * (2 + changed) < cost) { source = c; cost = c.size * (2 + changed); }
          continue;
        }
        for (let j = 0; j < q && tail < SOURCE_WALK; j++) {
          const p = x - lattice.stride[j];
          if (levelOf[x * q + j] > 0 && seen[p] !== stamp) { seen[p] = stamp; queue[tail++] = p; }
        }
      }
      if (source === base && levels.some((l) => l > 1)) {
        // Nothing cached nearby: evaluate (and cache) the node with every level capped at 1 first,
        // a much smaller source that the neighbours of this node can share.
        const helper = levels.map((l) => Math.min(l, 1));
        const h = helper.reduce((acc, l, j) => acc + l * lattice.stride[j], 0);
        if (!statsOf.has(h)) evaluate(h, helper);
        const c = cacheAt[h];
        if (c !== undefined) source = c;
      }
      const keep = cached < CACHE_LIMIT && hasSuccessor(levels);
      const { stats, units } = evaluator.evaluate(source, levels, keep);
      evaluated++;
      rolled += source.size;
      if (units !== null) { cacheAt[index] = units; cached += units.size; }
      statsOf.set(index, stats);
      consider(index, lattice.height(index), stats);
      const b = best as { score: number } | null;
      if (b !== null && metricBound(options.metric, stats, lattice.height(index), ctx) > b.score + slack(b.score)) markHopeless(index);
      return stats;
    };
    const tag = new Int8Array(lattice.total);
    // Up-sets whose lower bound already exceeds the incumbent: nothing there can be optimal.
    const hopeless = new Uint8Array(lattice.total);
    const markHopeless = (start: number): void => {
      const stack = [start];
      while (stack.length > 0) {
        const x = stack.pop() as number;
        if (hopeless[x]) continue;
        hopeless[x] = 1;
        for (let j = 0; j < q; j++) if (Math.floor(x / lattice.stride[j]) % data.heights[j] + 1 < data.heights[j]) stack.push(x + lattice.stride[j]);
      }
    };
    const tagCone = (start: number, value: 1 | -1): void => {
      const stack = [start];
      while (stack.length > 0) {
        const x = stack.pop() as number;
        if (tag[x] === value) continue;
        tag[x] = value;
        for (let j = 0; j < q; j++) {
          const l = Math.floor(x / lattice.stride[j]) % data.heights[j];
          if (value === 1 && l + 1 < data.heights[j]) stack.push(x + lattice.stride[j]);
          if (value === -1 && l > 0) stack.push(x - lattice.stride[j]);
        }
      }
    };
    const heightOf = Int32Array.from({ length: lattice.total }, (_, i) => lattice.height(i));
    const resolve = (start: number): void => {
      const path = [start];
      for (let cur = start; ;) {
        let next = -1;
        let bestRoom = -1; // prefer the column with the most room left (relative), then the earlier column
        for (let j = 0; j < q; j++) {
          const l = Math.floor(cur / lattice.stride[j]) % data.heights[j];
          const room = ((data.heights[j] - 1 - l) / (data.heights[j] - 1)) * 100 + q - j;
          const s = cur + lattice.stride[j];
          if (l + 1 < data.heights[j] && tag[s] === 0 && !hopeless[s] && room > bestRoom) { next = s; bestRoom = room; }
        }
        if (next < 0) break;
        path.push(next);
        cur = next;
      }
      let lo = 0;
      let hi = path.length - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        if (tag[path[mid]] !== 0) { if (tag[path[mid]] === 1) hi = mid - 1; else lo = mid + 1; continue; }
        const stats = evaluate(path[mid], lattice.levels(path[mid]));
        if (stats.suppressed <= limit) { tagCone(path[mid], 1); hi = mid - 1; } else { tagCone(path[mid], -1); lo = mid + 1; }
      }
    };
    const state = new Uint8Array(lattice.total);
    const key = new Float64Array(lattice.total);
    const frontier = new Frontier();
    frontier.push(0, 0, 0);
    state[0] = 1;
    while (frontier.size > 0) {
      const { key: k, node } = frontier.pop();
      if (state[node] !== 1) continue;
      if (k < key[node]) { frontier.push(key[node], heightOf[node], node); continue; }
      const b = best as { score: number; height: number } | null;
      if (b !== null && (k > b.score + slack(b.score) || (exact && k === b.score && heightOf[node] > b.height))) break;
      state[node] = 2;
      if (hopeless[node]) continue;
      if (monotone && tag[node] === 0) resolve(node);
      const levels = lattice.levels(node);
      const height = heightOf[node];
      let stats = statsOf.get(node);
      if (stats === undefined && (tag[node] === 1 || !monotone)) stats = evaluate(node, levels);
      const lb = stats === undefined ? k : Math.max(k, metricBound(options.metric, stats, height, ctx));
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
    stats: found.stats, nodesEvaluated: evaluated, unitsRolledUp: rolled, nodesTotal: lattice.total,
  };
}
