import { HierarchyError } from './privacy.errors';

/** Prints a number without float noise (0.1 + 0.2 -> 0.3), so interval labels are stable. */
export function formatNumber(x: number): string {
  return String(Number(x.toPrecision(12)));
}

/** Parses a numeric cell strictly, naming the column on failure. */
export function toNumber(value: string | number, column: string): number {
  const x = typeof value === 'number' ? value : value.trim() === '' ? NaN : Number(value);
  if (!Number.isFinite(x)) throw new HierarchyError(`Column "${column}": "${String(value)}" is not a number`, { column, value: String(value) });
  return x;
}

/** Label of a half-open interval: "30-39" for integer data, "[30, 40)" otherwise. */
export function intervalLabel(lo: number, hi: number, integer: boolean): string {
  return integer ? `${formatNumber(lo)}-${formatNumber(hi - 1)}` : `[${formatNumber(lo)}, ${formatNumber(hi)})`;
}

/** Top/bottom coding: values >= top become "top+", values < bottom become "<bottom"; null when unchanged. */
export function topBottomCode(x: number, bottom?: number, top?: number): string | null {
  if (top !== undefined && x >= top) return `${formatNumber(top)}+`;
  if (bottom !== undefined && x < bottom) return `<${formatNumber(bottom)}`;
  return null;
}

/** Fixed-width interval containing x, anchored at origin (e.g. width 10 -> 10-year age bands). */
export function fixedWidthInterval(x: number, width: number, integer: boolean, origin = 0, bottom?: number, top?: number): string {
  if (!(width > 0)) throw new HierarchyError('Interval width must be positive', { width });
  const coded = topBottomCode(x, bottom, top);
  if (coded !== null) return coded;
  const lo = origin + Math.floor((x - origin) / width) * width;
  return intervalLabel(lo, lo + width, integer);
}

/** Interval from custom breaks b0<b1<...: "<b0", "b_i-(b_{i+1}-1)", "bm+" (e.g. 0,18,65 for age groups). */
export function breaksInterval(x: number, breaks: readonly number[], integer: boolean): string {
  for (let i = 1; i < breaks.length; i++) {
    if (!(breaks[i] > breaks[i - 1])) throw new HierarchyError('Interval breaks must be strictly increasing', { breaks });
  }
  if (breaks.length === 0) throw new HierarchyError('Interval breaks must not be empty');
  if (x < breaks[0]) return `<${formatNumber(breaks[0])}`;
  for (let i = 0; i < breaks.length - 1; i++) {
    if (x < breaks[i + 1]) return intervalLabel(breaks[i], breaks[i + 1], integer);
  }
  return `${formatNumber(breaks[breaks.length - 1])}+`;
}
