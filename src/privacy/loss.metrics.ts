import type { NodeStats } from './global-recoding.lattice';

/** The optimisation targets of the global recoding search (issue 4, point 2). */
export const METRICS = ['dm', 'dm-star', 'aecs', 'height', 'loss'] as const;
/** One optimisation target (see METRICS); all are minimised. */
export type Metric = (typeof METRICS)[number];

/** What a metric needs besides the node's stats. */
export interface MetricContext { n: number; k: number; leafTotal: readonly number[] }

/** Average per-attribute loss of a record set, from the integer per-QI sums (order-independent). */
function lossOf(parts: Float64Array, ctx: MetricContext): number {
  const q = parts.length;
  if (q === 0) return 0;
  let sum = 0;
  for (let j = 0; j < q; j++) if (ctx.leafTotal[j] > 0) sum += parts[j] / ctx.leafTotal[j];
  return sum / q;
}

/**
 * Score of a node (lower is better). DM: Σ|E|² over kept classes + n × suppressed; DM*: Σ|E|² over
 * all classes; AECS: n / (kept classes + 1 if any record is suppressed); Height: Σ levels;
 * Loss: mean over records and QIs of (leaves under the label − 1)/(leaves − 1), suppressed = 1.
 */
export function metricScore(metric: Metric, s: NodeStats, height: number, ctx: MetricContext): number {
  switch (metric) {
    case 'dm': return s.sumSqKept + ctx.n * s.suppressed;
    case 'dm-star': return s.sumSqAll;
    case 'aecs': return ctx.n / Math.max(1, s.keptClasses + (s.suppressed > 0 ? 1 : 0));
    case 'height': return height;
    case 'loss': return ctx.n === 0 ? 0 : (lossOf(s.lossKept, ctx) + s.suppressed) / ctx.n;
  }
}

/**
 * A lower bound on the score of this node and of every generalisation of it, valid because
 * classes only merge going up and a suppressed record costs at least as much as a kept one.
 */
export function metricBound(metric: Metric, s: NodeStats, height: number, ctx: MetricContext): number {
  switch (metric) {
    case 'dm': return s.dmBound;
    case 'dm-star': return s.sumSqAll;
    case 'aecs': return ctx.n / Math.max(1, Math.min(s.classes, Math.floor(ctx.n / ctx.k) + 1));
    case 'height': return height;
    case 'loss': return ctx.n === 0 ? 0 : lossOf(s.lossAll, ctx) / ctx.n;
  }
}

/** Whether a metric's scores are integers (exact comparisons) or may carry rounding (tolerant pruning). */
export function isExactMetric(metric: Metric): boolean {
  return metric === 'dm' || metric === 'dm-star' || metric === 'height';
}
