import { generaliseDate, type DateLevel } from './date.generaliser';
import { gridIndex, gridLabel, h3Cell, h3Parent, parseLatLng } from './coordinate.generaliser';
import { hierarchyFromRows, parseHierarchyCsv, type Hierarchy } from './hierarchy.model';
import { breaksInterval, fixedWidthInterval, formatNumber, toNumber, topBottomCode } from './numeric.generaliser';
import { generalisePostcode, type PostcodeLevel } from './postcode.generaliser';
import { HierarchyError } from './privacy.errors';
import { cellKey, type Cell } from './table.model';

/** How to obtain a column's hierarchy: from CSV text / explicit rows, or built from the data. */
export type HierarchySpec =
  | { type: 'csv'; text: string; delimiter?: string }
  | { type: 'table'; rows: string[][] }
  | { type: 'interval'; widths?: number[]; breaks?: number[][]; origin?: number; bottomCode?: number; topCode?: number; unit?: string }
  | { type: 'date'; levels?: DateLevel[] }
  | { type: 'postcode'; levels?: PostcodeLevel[] }
  | { type: 'coordinate'; scheme: 'truncate' | 'grid' | 'h3'; steps: number[]; refLatitude?: number };

/** The label of the top level of every built hierarchy (the value fully suppressed). */
export const SUPPRESSED_LABEL = '*';

/** Distinct non-missing keys of a column, sorted, so built hierarchies are deterministic. */
function distinctKeys(values: Iterable<Cell>): string[] {
  const set = new Set<string>();
  for (const v of values) set.add(cellKey(v));
  set.delete('');
  return [...set].sort();
}

/** Checks each step divides the next, the condition under which numeric levels nest. */
function checkMultiples(steps: number[], what: string, column: string): void {
  for (let i = 1; i < steps.length; i++) {
    const r = steps[i] / steps[i - 1];
    if (!(steps[i] > steps[i - 1]) || Math.abs(r - Math.round(r)) > 1e-9) {
      throw new HierarchyError(`Column "${column}": ${what} must increase, each a multiple of the previous`, { column, steps });
    }
  }
}

/** Generalisation levels (after level 0) for one value under a functional spec, and their names. */
function levelFunctions(column: string, spec: Exclude<HierarchySpec, { type: 'csv' } | { type: 'table' }>, keys: string[]): { names: string[]; label: (key: string) => string[] } {
  switch (spec.type) {
    case 'interval': {
      const integer = keys.every((k) => Number.isInteger(toNumber(k, column)));
      const widths = spec.widths ?? [];
      const breaks = spec.breaks ?? [];
      if (widths.length > 0 && breaks.length > 0) throw new HierarchyError(`Column "${column}": give interval widths or breaks, not both`, { column });
      checkMultiples(widths, 'interval widths', column);
      const coding = spec.topCode !== undefined || spec.bottomCode !== undefined;
      const names: string[] = [];
      if (coding && widths.length === 0 && breaks.length === 0) names.push('top/bottom coded');
      widths.forEach((w) => names.push(`bands of ${formatNumber(w)}`));
      breaks.forEach((b) => names.push(`groups split at ${b.map(formatNumber).join(', ')}`));
      return {
        names,
        label: (key) => {
          const x = toNumber(key, column);
          const out: string[] = [];
          if (coding && widths.length === 0 && breaks.length === 0) out.push(topBottomCode(x, spec.bottomCode, spec.topCode) ?? key);
          for (const w of widths) out.push(fixedWidthInterval(x, w, integer, spec.origin ?? 0, spec.bottomCode, spec.topCode));
          for (const b of breaks) out.push(breaksInterval(x, b, integer));
          return out;
        },
      };
    }
    case 'date': {
      const levels = spec.levels ?? ['week', 'month', 'quarter', 'year'];
      const anchored = levels.includes('week');
      return { names: levels.slice(), label: (key) => levels.map((l) => generaliseDate(key, l, column, anchored && l !== 'day' && l !== 'week')) };
    }
    case 'postcode': {
      const levels = spec.levels ?? ['sector', 'district', 'area'];
      return { names: levels.slice(), label: (key) => levels.map((l) => generalisePostcode(key, l, column)) };
    }
    case 'coordinate': {
      const steps = spec.steps;
      if (steps.length === 0) throw new HierarchyError(`Column "${column}": coordinate steps must not be empty`, { column });
      if (spec.scheme === 'grid') {
        checkMultiples(steps, 'grid sizes', column);
        const ref = spec.refLatitude ?? 0;
        return {
          names: steps.map((m) => `${formatNumber(m)} m grid`),
          label: (key) => {
            const { row, col } = gridIndex(parseLatLng(key, column), steps[0], ref);
            return steps.map((m) => {
              const f = Math.round(m / steps[0]);
              return gridLabel(Math.floor(row / f), Math.floor(col / f), m, ref);
            });
          },
        };
      }
      if (spec.scheme === 'h3') {
        const sorted = steps.every((r, i) => Number.isInteger(r) && r >= 0 && r <= 15 && (i === 0 || r < steps[i - 1]));
        if (!sorted) throw new HierarchyError(`Column "${column}": H3 resolutions must be integers 0..15, decreasing`, { column });
        return {
          names: steps.map((r) => `H3 resolution ${r}`),
          label: (key) => {
            const finest = h3Cell(parseLatLng(key, column), steps[0]);
            return steps.map((r, i) => (i === 0 ? finest : h3Parent(finest, r)));
          },
        };
      }
      const ok = steps.every((d, i) => Number.isInteger(d) && d >= 0 && d <= 10 && (i === 0 || d < steps[i - 1]));
      if (!ok) throw new HierarchyError(`Column "${column}": coordinate decimals must be integers 0..10, decreasing`, { column });
      return {
        names: steps.map((d) => `${d} decimal places`),
        label: (key) => {
          const p = parseLatLng(key, column);
          const fine = [Math.floor(p.lat * 10 ** steps[0] + 1e-9), Math.floor(p.lng * 10 ** steps[0] + 1e-9)];
          return steps.map((d) => {
            const f = 10 ** (steps[0] - d);
            return fine.map((v) => (Math.floor(v / f) / 10 ** d).toFixed(d)).join(',');
          });
        },
      };
    }
  }
}

/**
 * Produces the hierarchy of a column from a spec. Explicit specs (csv, table) are parsed as
 * given; built specs cover the column's distinct values and end with a "*" level.
 */
export function buildHierarchy(column: string, spec: HierarchySpec, values: Iterable<Cell> = []): Hierarchy {
  if (spec.type === 'csv') return parseHierarchyCsv(spec.text, column, spec.delimiter ?? ';');
  if (spec.type === 'table') return hierarchyFromRows(column, spec.rows);
  const keys = distinctKeys(values);
  const { names, label } = levelFunctions(column, spec, keys);
  const rows = keys.map((k) => [k, ...label(k), SUPPRESSED_LABEL]);
  rows.push(['', ...names.map(() => ''), SUPPRESSED_LABEL]);
  return hierarchyFromRows(column, rows, ['value', ...names, 'suppressed']);
}
