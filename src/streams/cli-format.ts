/** Small figures for command output and benches. */

/** The q-quantile (0..1) of a list of numbers (nearest rank); 0 for an empty list. */
export function percentile(values: number[], q: number): number {
  if (!values.length) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}
