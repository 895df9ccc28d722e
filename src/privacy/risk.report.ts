import { groupTuples, KeyIndex } from './key-index';
import { cellKey, type Cell } from './table.model';

/** Re-identification risk of a microdata table over its quasi-identifiers (prosecutor model). */
export interface MicrodataRisk {
  records: number;
  classes: number;
  smallestClass: number;
  /** Classes and records per class-size bucket ("1", "2", ..., "10-19", "20+" style). */
  classSizeHistogram: { size: string; classes: number; records: number }[];
  k: number;
  recordsInClassesBelowK: number;
  /** Mean over records of 1/|class| (= classes / records) and its maximum (1 / smallest class). */
  averageProsecutorRisk: number;
  highestProsecutorRisk: number;
  sampleUniques: number;
  sampleUniqueShare: number;
  /** Per sensitive column: distinct values per class (l of distinct l-diversity), smallest and histogram. */
  lDiversity: { column: string; minimumL: number; classesByL: Record<string, number> }[];
}

/** Information loss of a generalised table against its input. */
export interface InformationLoss {
  /** DM: Σ|E|² over published classes + n × suppressed records. */
  discernibility: number;
  /** AECS: n / (published classes + 1 if any record was suppressed). */
  averageClassSize: number;
  /** Mean over QIs of level / top level (global recoding) or normalised range width (Mondrian), in [0, 1]. */
  generalisationIntensity: number;
  /** Non-uniform entropy: Σ over records and QIs of log2(freq(published value) / freq(original)), suppressed = fully generalised. */
  nonUniformEntropy: number;
}

/** Bucket label of a class size. */
function bucket(size: number): string {
  if (size < 10) return String(size);
  if (size < 20) return '10-19';
  if (size < 50) return '20-49';
  if (size < 100) return '50-99';
  return '100+';
}

/** Dense ids (first-seen order) of column `j`'s values, two values being equal when `keyOf` maps them to the same key. */
export function columnIds(rows: readonly (readonly Cell[])[], j: number, keyOf: (v: Cell) => unknown = cellKey): { ids: Int32Array; count: number } {
  if (keyOf === cellKey) return textIds(rows, j);
  const map = new Map<unknown, number>();
  const ids = new Int32Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const k = keyOf(rows[i][j]);
    let id = map.get(k);
    if (id === undefined) { id = map.size; map.set(k, id); }
    ids[i] = id;
  }
  return { ids, count: map.size };
}

/** `columnIds` under `cellKey` without turning every number into text: each distinct number is converted once. */
function textIds(rows: readonly (readonly Cell[])[], j: number): { ids: Int32Array; count: number } {
  const text = new Map<string, number>();
  const numbers = new Map<number, number>();
  const ids = new Int32Array(rows.length);
  const idOf = (k: string): number => {
    let id = text.get(k);
    if (id === undefined) { id = text.size; text.set(k, id); }
    return id;
  };
  for (let i = 0; i < rows.length; i++) {
    const v = rows[i][j];
    if (typeof v === 'number') {
      // Numbers equal as Map keys (SameValueZero) have the same text, so this is cellKey's equality.
      let id = numbers.get(v);
      if (id === undefined) { id = idOf(String(v)); numbers.set(v, id); }
      ids[i] = id;
    } else ids[i] = idOf(cellKey(v));
  }
  return { ids, count: text.size };
}

/**
 * Groups rows by their values in `columns` (equal as `keyOf` says): class id per row, in
 * first-seen order, and the number of classes. Values are interned per column and the tuples of
 * ids grouped by one hash pass, so no per-row key string is built.
 */
export function groupRows(rows: readonly (readonly Cell[])[], columns: readonly number[], keyOf: (v: Cell) => unknown = cellKey): { classOf: Int32Array; count: number } {
  const ids = columns.map((j) => columnIds(rows, j, keyOf));
  const classOf = new Int32Array(rows.length);
  const count = groupTuples(ids.map((c) => c.ids), ids.map((c) => c.count), rows.length, classOf, new KeyIndex(rows.length));
  return { classOf, count };
}

/** Distinct values of column `j` per class (classOf from `groupRows`), equal as `keyOf` says. */
export function distinctPerClass(rows: readonly (readonly Cell[])[], classOf: Int32Array, classes: number, j: number, keyOf: (v: Cell) => unknown = cellKey): Int32Array {
  const values = columnIds(rows, j, keyOf);
  const pairOf = new Int32Array(rows.length);
  groupTuples([classOf, values.ids], [classes, values.count], rows.length, pairOf, new KeyIndex(rows.length));
  const distinct = new Int32Array(classes);
  let pairs = 0;
  for (let i = 0; i < rows.length; i++) if (pairOf[i] === pairs) { pairs++; distinct[classOf[i]]++; }
  return distinct;
}

/** Groups rows by their QI values, returning class id per row and sizes. */
export function equivalenceClasses(rows: readonly (readonly Cell[])[], qi: readonly number[]): { classOf: Int32Array; sizes: number[] } {
  const { classOf, count } = groupRows(rows, qi);
  const sizes = new Array<number>(count).fill(0);
  for (let i = 0; i < rows.length; i++) sizes[classOf[i]]++;
  return { classOf, sizes };
}

/** Risk figures of microdata over the given QI and sensitive column positions. */
export function microdataRisk(rows: readonly (readonly Cell[])[], qi: readonly number[], sensitive: readonly { index: number; name: string }[], k: number): MicrodataRisk {
  const { classOf, sizes } = equivalenceClasses(rows, qi);
  const n = rows.length;
  const hist = new Map<string, { size: string; classes: number; records: number; order: number }>();
  let smallest = n === 0 ? 0 : Infinity;
  let below = 0;
  let uniques = 0;
  for (const s of sizes) {
    smallest = Math.min(smallest, s);
    if (s < k) below += s;
    if (s === 1) uniques++;
    const b = bucket(s);
    const h = hist.get(b) ?? { size: b, classes: 0, records: 0, order: s < 10 ? s : Number(b.split(/[-+]/)[0]) };
    h.classes++; h.records += s;
    hist.set(b, h);
  }
  const lDiversity = sensitive.map(({ index, name }) => {
    const distinct = distinctPerClass(rows, classOf, sizes.length, index);
    const byL: Record<string, number> = {};
    let min = sizes.length === 0 ? 0 : Infinity;
    for (const l of distinct) { byL[String(l)] = (byL[String(l)] ?? 0) + 1; min = Math.min(min, l); }
    return { column: name, minimumL: min, classesByL: byL };
  });
  return {
    records: n, classes: sizes.length, smallestClass: smallest,
    classSizeHistogram: [...hist.values()].sort((a, b) => a.order - b.order).map(({ size, classes, records }) => ({ size, classes, records })),
    k, recordsInClassesBelowK: below,
    averageProsecutorRisk: n === 0 ? 0 : sizes.length / n, highestProsecutorRisk: n === 0 ? 0 : 1 / smallest,
    sampleUniques: uniques, sampleUniqueShare: n === 0 ? 0 : uniques / n, lDiversity,
  };
}

/**
 * Non-uniform entropy of a generalisation: for each QI, Σ over input records of
 * log2(count of the published label / count of the original value); a suppressed record
 * (published null) counts as fully generalised (label = everything).
 */
export function nonUniformEntropy(original: readonly (readonly string[])[], published: readonly (readonly (string | null)[])[]): number {
  let total = 0;
  for (let j = 0; j < original.length; j++) {
    const orig = new Map<string, number>();
    const pub = new Map<string, number>();
    const n = original[j].length;
    for (let i = 0; i < n; i++) {
      orig.set(original[j][i], (orig.get(original[j][i]) ?? 0) + 1);
      const p = published[j][i];
      if (p !== null) pub.set(p, (pub.get(p) ?? 0) + 1);
    }
    for (let i = 0; i < n; i++) {
      const p = published[j][i];
      const g = p === null ? n : (pub.get(p) as number);
      total += Math.log2(g / (orig.get(original[j][i]) as number));
    }
  }
  return total;
}
