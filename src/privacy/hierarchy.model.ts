import { HierarchyError, HierarchyValueMissingError } from './privacy.errors';

/**
 * A generalisation hierarchy for one column: each original value maps to one label per level
 * (level 0 = the value itself). Levels must nest: values sharing a label at level i share it at i+1.
 */
export interface Hierarchy {
  column: string;
  /** Number of levels including level 0. */
  height: number;
  /** Human names of the levels (e.g. "day", "week"); used by the plain-English statement. */
  levelNames: string[];
  /** Original value -> labels for levels 0..height-1. */
  map: ReadonlyMap<string, readonly string[]>;
}

/** Splits one delimited line, honouring double quotes, for hierarchy files. */
function splitLine(line: string, delimiter: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') { cur += '"'; i++; } else if (ch === '"') quoted = false; else cur += ch;
    } else if (ch === '"' && cur === '') quoted = true;
    else if (line.startsWith(delimiter, i)) { out.push(cur); cur = ''; i += delimiter.length - 1; } else cur += ch;
  }
  out.push(cur);
  return out;
}

/** Parses hierarchy CSV text (ARX format: no header, value then one label per level); pure. */
export function parseHierarchyCsv(text: string, column: string, delimiter = ';'): Hierarchy {
  const rows = text.split(/\r?\n/).filter((l) => l.trim() !== '').map((l) => splitLine(l, delimiter));
  return hierarchyFromRows(column, rows);
}

/** Builds and validates a hierarchy from explicit rows [value, level1, level2, ...]. */
export function hierarchyFromRows(column: string, rows: ReadonlyArray<ReadonlyArray<string>>, levelNames?: string[]): Hierarchy {
  if (rows.length === 0) throw new HierarchyError(`Hierarchy for column "${column}" is empty`, { column });
  const height = rows[0].length;
  const map = new Map<string, string[]>();
  rows.forEach((r, i) => {
    if (r.length !== height) throw new HierarchyError(`Hierarchy for column "${column}": row ${i + 1} has ${r.length} levels, expected ${height}`, { column });
    if (map.has(r[0])) throw new HierarchyError(`Hierarchy for column "${column}": value "${r[0]}" appears twice`, { column, value: r[0] });
    map.set(r[0], r.slice());
  });
  const names = levelNames ?? Array.from({ length: height }, (_, i) => (i === 0 ? 'value' : `level ${i}`));
  const h: Hierarchy = { column, height, levelNames: names, map };
  validateNesting(h);
  return h;
}

/** Rejects hierarchies whose levels do not nest, because the lattice search relies on it. */
export function validateNesting(h: Hierarchy): void {
  for (let level = 1; level < h.height - 1; level++) {
    const parent = new Map<string, string>();
    for (const labels of h.map.values()) {
      const seen = parent.get(labels[level]);
      if (seen === undefined) parent.set(labels[level], labels[level + 1]);
      else if (seen !== labels[level + 1]) {
        throw new HierarchyError(
          `Hierarchy for column "${h.column}" does not nest: "${labels[level]}" at level ${level} maps to both "${seen}" and "${labels[level + 1]}"`,
          { column: h.column, level },
        );
      }
    }
  }
}

/** Label of a value at a level, or HierarchyValueMissingError naming the value and column. */
export function generaliseValue(h: Hierarchy, value: string, level: number): string {
  const labels = h.map.get(value);
  if (labels === undefined) throw new HierarchyValueMissingError(h.column, value);
  if (level < 0 || level >= h.height) throw new HierarchyError(`Column "${h.column}" has no level ${level}`, { column: h.column, level });
  return labels[level];
}
