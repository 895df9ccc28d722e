import type { Hierarchy } from './hierarchy.model';
import { gather, groupTuples, iota, KeyIndex, KeyIndex32 } from './key-index';
import { classCheck, rankValues, type ClassCheck, type SensitiveCriterion } from './privacy.criteria';
import { HierarchyError, HierarchyValueMissingError, InfeasibleRequestError } from './privacy.errors';

/**
 * The table encoded for the lattice search: every quasi-identifier value as an integer id per
 * level, and the records collapsed into "base units" (distinct QI + sensitive tuples with counts),
 * so evaluating a node never touches the raw rows.
 */
export interface LatticeData {
  n: number;
  columns: string[];
  /** Levels per QI including level 0. */
  heights: number[];
  /** [qi][level] number of distinct labels present. */
  domainSizes: number[][];
  /** [qi][level][id] label text. */
  labels: string[][][];
  /** [qi][level][unit] id of the unit's value at that level (ids at a level are dense, in first-seen order). */
  unitIds: Int32Array[][];
  /** Records per base unit. */
  unitCount: Int32Array;
  units: number;
  /** [sensitive column][unit] value id. */
  unitSens: Int32Array[];
  /** Dense id of each unit's tuple of sensitive values, and how many such tuples exist. */
  sensTuple: Int32Array;
  sensTuples: number;
  sensitive: { column: string; values: string[]; counts: Int32Array; rank: Int32Array }[];
  /** Base unit of each input row. */
  rowUnit: Int32Array;
  /** [qi][level][id] hierarchy leaves under the label minus one (numerator of the loss metric). */
  leafExcess: Int32Array[][];
  /** [qi] hierarchy leaves minus one (denominator of the loss metric; 0 = attribute carries no loss). */
  leafTotal: number[];
}

/** Assigns dense ids to strings in first-seen order. */
function intern(map: Map<string, number>, list: string[], s: string): number {
  let id = map.get(s);
  if (id === undefined) { id = list.length; map.set(s, id); list.push(s); }
  return id;
}

/** Encodes QI columns (with hierarchies) and sensitive columns for the search; pure. */
export function encodeLattice(qiValues: string[][], hierarchies: Hierarchy[], sensValues: string[][], sensColumns: string[]): LatticeData {
  const q = hierarchies.length;
  const n = q > 0 ? qiValues[0].length : sensValues.length > 0 ? sensValues[0].length : 0;
  const heights = hierarchies.map((h) => h.height);
  const labels: string[][][] = [];
  const rowIds: Int32Array[] = [];
  const levelMaps: Int32Array[][] = [];
  const leafExcess: Int32Array[][] = [];
  const leafTotal: number[] = [];
  for (let j = 0; j < q; j++) {
    const h = hierarchies[j];
    const lv: string[][] = Array.from({ length: h.height }, () => []);
    const lvMap = Array.from({ length: h.height }, () => new Map<string, number>());
    const ids = new Int32Array(n);
    const values = qiValues[j];
    const v0 = new Map<string, number>();
    const v0list: string[] = [];
    for (let i = 0; i < n; i++) {
      const v = values[i];
      let id = v0.get(v);
      if (id === undefined) {
        if (!h.map.has(v)) throw new HierarchyValueMissingError(h.column, v);
        id = intern(v0, v0list, v);
      }
      ids[i] = id;
    }
    const maps: Int32Array[] = [];
    for (let l = 0; l < h.height; l++) {
      const m = new Int32Array(v0list.length);
      v0list.forEach((v, id) => { m[id] = intern(lvMap[l], lv[l], (h.map.get(v) as readonly string[])[l]); });
      maps.push(m);
    }
    const leaves = Array.from({ length: h.height }, () => new Map<string, number>());
    let total = 0;
    for (const [value, row] of h.map) {
      if (value === '') continue;
      total++;
      for (let l = 0; l < h.height; l++) leaves[l].set(row[l], (leaves[l].get(row[l]) ?? 0) + 1);
    }
    leafExcess.push(lv.map((names, l) => Int32Array.from(names, (s) => Math.max(0, (leaves[l].get(s) ?? 1) - 1))));
    leafTotal.push(Math.max(0, total - 1));
    labels.push(lv);
    rowIds.push(ids);
    levelMaps.push(maps);
  }
  const sensitive = sensColumns.map((column, s) => {
    const map = new Map<string, number>();
    const values: string[] = [];
    const ids = new Int32Array(n);
    for (let i = 0; i < n; i++) ids[i] = intern(map, values, sensValues[s][i]);
    const counts = new Int32Array(values.length);
    for (let i = 0; i < n; i++) counts[ids[i]]++;
    return { column, values, counts, rank: rankValues(values), ids };
  });
  const index = new KeyIndex(n);
  const rowUnit = new Int32Array(n);
  const cols = [...rowIds, ...sensitive.map((s) => s.ids)];
  const radix = [...levelMaps.map((m) => m[0].length), ...sensitive.map((s) => s.values.length)];
  const units = groupTuples(cols, radix, n, rowUnit, index);
  const first = new Int32Array(units).fill(-1);
  const unitCount = new Int32Array(units);
  for (let i = 0; i < n; i++) { const u = rowUnit[i]; if (first[u] < 0) first[u] = i; unitCount[u]++; }
  const unitIds = levelMaps.map((maps, j) => { const v0 = gather(first, rowIds[j]); return maps.map((m) => gather(v0, m)); });
  const unitSens = sensitive.map((s) => gather(first, s.ids));
  const sensTuple = new Int32Array(units);
  const sensTuples = groupTuples(unitSens, sensitive.map((s) => s.values.length), units, sensTuple, index);
  return {
    n, columns: hierarchies.map((h) => h.column), heights,
    domainSizes: labels.map((lv) => lv.map((x) => x.length)), labels, unitIds, unitCount, units, unitSens, sensTuple, sensTuples,
    sensitive: sensitive.map(({ column, values, counts, rank }) => ({ column, values, counts, rank })), rowUnit, leafExcess, leafTotal,
  };
}

/**
 * The records of a node as units (representative base unit + count), with each unit's class key
 * (null when the key layout needs more than 53 bits); a cache entry for roll-up.
 */
export interface NodeUnits { levels: readonly number[]; rep: Int32Array; cnt: Int32Array; size: number; key: Float64Array | Int32Array | null }

/** What the search needs to know about one node. */
export interface NodeStats {
  classes: number;
  keptClasses: number;
  suppressed: number;
  /** Σ|E|² over kept classes and over all classes. */
  sumSqKept: number;
  sumSqAll: number;
  /** [qi] Σ over records of (leaves under the record's label - 1): all records, kept records only (empty unless asked). */
  lossAll: Float64Array;
  lossKept: Float64Array;
  /** Σ_E |E| * max(k, |E|): the DM lower bound of every generalisation of this node. */
  dmBound: number;
}

/**
 * Class keys as bit fields: QI j's id at the node's level sits in bits [shift_j, shift_j + bits_j)
 * where 2^bits_j covers its level-0 domain (ids only shrink going up). A field is read as
 * (key × 2^-shift_j) & mask_j, exact for keys < 2^53, so a roll-up changes only the fields of the
 * columns whose level changes, without looking at the records. When all fields fit in 32 bits
 * (`narrow`) the keys are int32 and fields are read with shifts, the fast path.
 */
interface KeyLayout { scale: number[]; inv: number[]; mask: number[]; shift: number[]; exact: boolean; narrow: boolean }

/** The bit-field layout of the class keys, and whether it fits in 53 bits. */
function keyLayout(data: LatticeData): KeyLayout {
  const scale: number[] = [];
  const inv: number[] = [];
  const mask: number[] = [];
  const shifts: number[] = [];
  let shift = 0;
  let exact = true;
  for (let j = data.heights.length - 1; j >= 0; j--) {
    let bits = 0;
    while (2 ** bits < data.domainSizes[j][0]) bits++;
    if (bits > 30) exact = false;
    scale[j] = 2 ** shift;
    shifts[j] = shift;
    inv[j] = 2 ** -shift;
    mask[j] = 2 ** Math.min(bits, 30) - 1;
    shift += bits;
  }
  return { scale, inv, mask, shift: shifts, exact: exact && shift <= 53, narrow: exact && shift <= 32 };
}

const NO_CHANGE = new Int32Array(1);

/** Base units as the roll-up source of the bottom node. */
export function baseUnits(data: LatticeData): NodeUnits {
  const levels = data.heights.map(() => 0);
  const { scale, shift, exact, narrow } = keyLayout(data);
  let key: Float64Array | Int32Array | null = null;
  if (narrow) {
    const k32 = new Int32Array(data.units);
    for (let j = 0; j < shift.length; j++) {
      const ids = data.unitIds[j][0];
      for (let u = 0; u < data.units; u++) k32[u] |= ids[u] << shift[j];
    }
    key = k32;
  } else if (exact) {
    key = new Float64Array(data.units);
    for (let j = 0; j < scale.length; j++) {
      const ids = data.unitIds[j][0];
      for (let u = 0; u < data.units; u++) key[u] += ids[u] * scale[j];
    }
  }
  return { levels, rep: iota(data.units), cnt: data.unitCount, size: data.units, key };
}

/**
 * Evaluates nodes by rolling up the units of any finer node: rewrites the key fields of the columns
 * whose level changes (a lookup in a small table per column), groups by one hash pass that also
 * sums the class sizes, then checks k and the sensitive criteria.
 */
export class NodeEvaluator {
  private readonly index: KeyIndex;
  private readonly index32: KeyIndex32;
  private readonly classOf: Int32Array;
  private readonly classSize: Float64Array;
  private readonly classRep: Int32Array;
  private readonly unitClass: Int32Array;
  private readonly unitRep: Int32Array;
  private readonly unitCnt: Float64Array;
  private readonly order: Int32Array;
  private readonly start: Int32Array;
  private readonly hist: Float64Array[];
  private readonly histIds: Int32Array;
  private readonly histCounts: Float64Array;
  private readonly checks: { s: number; check: ClassCheck }[];
  private readonly classKey: Float64Array;
  private readonly keys: Float64Array;
  private readonly classKey32: Int32Array;
  private readonly keys32: Int32Array;
  private readonly layout: KeyLayout;
  /** [qi][from × height + to]: per id at level `from`, the key change that moves it to level `to`. */
  private readonly deltas: (Float64Array | undefined)[][];
  private readonly deltas32: (Int32Array | undefined)[][];
  /** Classes that failed (size < k or a criterion), after the last evaluate(). */
  readonly failed: Uint8Array;

  constructor(readonly data: LatticeData, readonly k: number, criteria: SensitiveCriterion[], private readonly withLoss = false) {
    const u = Math.max(1, data.units);
    this.index = new KeyIndex(u);
    this.index32 = new KeyIndex32(256);
    this.classOf = new Int32Array(u);
    this.classSize = new Float64Array(u);
    this.classRep = new Int32Array(u);
    this.unitClass = new Int32Array(u);
    this.unitRep = new Int32Array(u);
    this.unitCnt = new Float64Array(u);
    this.order = new Int32Array(u);
    this.start = new Int32Array(u + 1);
    this.failed = new Uint8Array(u);
    this.layout = keyLayout(data);
    // Key buffers of the layout in use only (int32 keys, or doubles).
    this.classKey = new Float64Array(this.layout.narrow ? 0 : u);
    this.keys = new Float64Array(this.layout.narrow ? 0 : u);
    this.classKey32 = new Int32Array(this.layout.narrow ? u : 0);
    this.keys32 = new Int32Array(this.layout.narrow ? u : 0);
    this.deltas = data.heights.map(() => []);
    this.deltas32 = data.heights.map(() => []);
    this.checks = criteria.map((c) => {
      const s = data.sensitive.findIndex((x) => x.column === c.column);
      if (s < 0) throw new InfeasibleRequestError(`Sensitive column "${c.column}" is not encoded`);
      return { s, check: classCheck(c, data.sensitive[s]) };
    });
    this.hist = data.sensitive.map((s) => new Float64Array(s.values.length));
    const maxM = Math.max(1, ...data.sensitive.map((s) => s.values.length));
    this.histIds = new Int32Array(maxM);
    this.histCounts = new Float64Array(maxM);
  }

  /** The key change of QI j from level `from` to level `to`, per id at `from` (hierarchies nest, so it is a function). */
  private delta(j: number, from: number, to: number): Float64Array {
    const slot = from * this.data.heights[j] + to;
    const known = this.deltas[j][slot];
    if (known !== undefined) return known;
    const a = this.data.unitIds[j][from];
    const b = this.data.unitIds[j][to];
    const up = new Int32Array(this.layout.mask[j] + 1).fill(-1);
    for (let u = 0; u < this.data.units; u++) {
      if (up[a[u]] < 0) up[a[u]] = b[u];
      else if (up[a[u]] !== b[u]) throw new HierarchyError(`Hierarchy for column "${this.data.columns[j]}" does not nest between levels ${from} and ${to}`, { column: this.data.columns[j] });
    }
    const table = Float64Array.from(up, (to, id) => (to < 0 ? 0 : (to - id) * this.layout.scale[j]));
    this.deltas[j][slot] = table;
    return table;
  }

  /** The int32 key change of QI j from level `from` to level `to` (wraps modulo 2^32, exact for a field). */
  private delta32(j: number, from: number, to: number): Int32Array {
    const slot = from * this.data.heights[j] + to;
    const known = this.deltas32[j][slot];
    if (known !== undefined) return known;
    const f = this.delta(j, from, to);
    const step = 2 ** this.layout.shift[j];
    const table = Int32Array.from(f, (x) => Math.imul(x / step, step | 0));
    this.deltas32[j][slot] = table;
    return table;
  }

  /** The delta table, shift and mask of changed column j (or of no change when j is undefined). */
  private field32(j: number | undefined, from: NodeUnits, node: readonly number[]): [Int32Array, number, number] {
    if (j === undefined) return [NO_CHANGE, 0, 0];
    return [this.delta32(j, from.levels[j], node[j]), this.layout.shift[j], this.layout.mask[j]];
  }

  /** An upper bound on the classes of `node`: the product of its columns' domain sizes. */
  private classBound(node: readonly number[], limit: number): number {
    let p = 1;
    for (let j = 0; j < node.length && p < limit; j++) p *= Math.max(1, this.data.domainSizes[j][node[j]]);
    return Math.min(p, limit);
  }

  /**
   * Groups the units of `from` into the classes of `node`: class id per unit (classOf), and per
   * class its size, a representative base unit and its key. Returns the number of classes.
   */
  private classify(from: NodeUnits, node: readonly number[]): number {
    const rep = from.rep;
    const cnt = from.cnt;
    const size = from.size;
    const classOf = this.classOf;
    const classSize = this.classSize;
    const classRep = this.classRep;
    if (this.layout.narrow && from.key instanceof Int32Array) return this.classify32(from.key, from, node);
    if (!this.layout.exact || !(from.key instanceof Float64Array)) {
      const d = this.data;
      const cols = node.map((l, j) => gather(rep, d.unitIds[j][l], size));
      const classes = groupTuples(cols, node.map((l, j) => d.domainSizes[j][l]), size, classOf, this.index);
      classSize.fill(0, 0, classes);
      for (let u = 0; u < size; u++) { const c = classOf[u]; if (classSize[c] === 0) classRep[c] = rep[u]; classSize[c] += cnt[u]; }
      return classes;
    }
    const src = from.key;
    const inv: number[] = [];
    const mask: number[] = [];
    const tab: Float64Array[] = [];
    for (let j = 0; j < node.length; j++) {
      if (from.levels[j] === node[j]) continue;
      inv.push(this.layout.inv[j]);
      mask.push(this.layout.mask[j]);
      tab.push(this.delta(j, from.levels[j], node[j]));
    }
    // Keys column by column (tight, sequential passes), then one hash pass that also sums the sizes.
    const keys = this.keys;
    keys.set(src.subarray(0, size));
    for (let i = 0; i < tab.length; i++) {
      // The field is floor(s / 2^shift) mod 2^bits, computed with exact floating-point steps.
      const t = tab[i]; const f = inv[i]; const g = f / (mask[i] + 1); const r = mask[i] + 1;
      for (let u = 0; u < size; u++) { const s = src[u]; keys[u] += t[Math.floor(s * f) - Math.floor(s * g) * r]; }
    }
    const index = this.index;
    const classKey = this.classKey;
    // Sized for half the units (it grows if needed): a smaller table stays in cache.
    index.reset(this.classBound(node, Math.max(256, size >> 1)));
    let classes = 0;
    for (let u = 0; u < size; u++) {
      const key = keys[u];
      const c = index.idOf(key);
      classOf[u] = c;
      if (c === classes) { classes++; classRep[c] = rep[u]; classKey[c] = key; classSize[c] = cnt[u]; } else classSize[c] += cnt[u];
    }
    return classes;
  }

  /** `classify` on int32 keys: fields read with shifts, one multiplicative hash. */
  private classify32(src: Int32Array, from: NodeUnits, node: readonly number[]): number {
    const rep = from.rep;
    const cnt = from.cnt;
    const size = from.size;
    const classOf = this.classOf;
    const classSize = this.classSize;
    const classRep = this.classRep;
    const changed: number[] = [];
    for (let j = 0; j < node.length; j++) if (from.levels[j] !== node[j]) changed.push(j);
    // The new keys: the last two changed columns are applied in the grouping pass itself, any others
    // in passes of their own before it.
    let keys = src;
    while (changed.length > 2) {
      const j = changed.shift() as number;
      const t = this.delta32(j, from.levels[j], node[j]);
      const sh = this.layout.shift[j];
      const m = this.layout.mask[j];
      const out = this.keys32;
      for (let u = 0; u < size; u++) { const s = keys[u]; out[u] = (s + t[(s >>> sh) & m]) | 0; }
      keys = out;
    }
    // A missing column reads field 0 of a one-entry table of 0.
    const [t1, sh1, m1] = this.field32(changed[0], from, node);
    const [t2, sh2, m2] = this.field32(changed[1], from, node);
    const index = this.index32;
    const classKey = this.classKey32;
    index.reset(this.classBound(node, Math.max(256, size)));
    let classes = 0;
    for (let u = 0; u < size; u++) {
      const s = keys[u];
      const key = (s + t1[(s >>> sh1) & m1] + t2[(s >>> sh2) & m2]) | 0;
      const c = index.idOf(key);
      classOf[u] = c;
      if (c === classes) { classes++; classRep[c] = rep[u]; classKey[c] = key; classSize[c] = cnt[u]; } else classSize[c] += cnt[u];
    }
    return classes;
  }

  /** Evaluates `node` from the units of a finer node; returns stats and, if asked, the node's units. */
  evaluate(from: NodeUnits, node: readonly number[], keepUnits: boolean): { stats: NodeStats; units: NodeUnits | null } {
    const d = this.data;
    const classes = this.classify(from, node);
    const size = this.classSize;
    const classOf = this.classOf;
    const classRep = this.classRep;
    const rep = from.rep;
    const cnt = from.cnt;
    let unitsOut = classes;
    const hasSens = this.checks.length > 0;
    if (hasSens) {
      this.index.reset(from.size);
      const S = d.sensTuples;
      this.unitCnt.fill(0, 0, from.size);
      for (let u = 0; u < from.size; u++) {
        const c = classOf[u];
        const id = this.index.idOf(c * S + d.sensTuple[rep[u]]);
        if (this.unitCnt[id] === 0) { this.unitRep[id] = rep[u]; this.unitClass[id] = c; }
        this.unitCnt[id] += cnt[u];
      }
      unitsOut = this.index.size;
    }
    this.checkClasses(classes, unitsOut);
    const q = node.length;
    const stats: NodeStats = {
      classes, keptClasses: 0, suppressed: 0, sumSqKept: 0, sumSqAll: 0, lossAll: new Float64Array(q), lossKept: new Float64Array(q), dmBound: 0,
    };
    const k = this.k;
    const failed = this.failed;
    let sumSqAll = 0; let dmBound = 0; let suppressed = 0; let kept = 0; let sumSqKept = 0;
    for (let c = 0; c < classes; c++) {
      const s = size[c];
      sumSqAll += s * s;
      dmBound += s * (s > k ? s : k);
      if (failed[c]) suppressed += s;
      else { kept++; sumSqKept += s * s; }
    }
    Object.assign(stats, { sumSqAll, dmBound, suppressed, keptClasses: kept, sumSqKept });
    if (this.withLoss) this.addLoss(stats, node, classes);
    let units: NodeUnits | null = null;
    if (keepUnits) {
      // Without sensitive columns a node's units are its classes; with them, (class, sensitive tuple) pairs.
      const count = hasSens ? unitsOut : classes;
      const rep = (hasSens ? this.unitRep : classRep).slice(0, count);
      const cntOut = new Int32Array(count);
      const sizes = hasSens ? this.unitCnt : size;
      for (let i = 0; i < count; i++) cntOut[i] = sizes[i];
      // The class keys classify just wrote (int32 or doubles), per unit: a unit's key is its class's.
      const classKeys = from.key instanceof Int32Array ? this.classKey32 : from.key !== null && this.layout.exact ? this.classKey : null;
      let key: Float64Array | Int32Array | null = null;
      if (classKeys !== null) {
        key = classKeys.slice(0, count);
        if (hasSens) for (let i = 0; i < count; i++) key[i] = classKeys[this.unitClass[i]];
      }
      units = { levels: node.slice(), rep, cnt: cntOut, size: count, key };
    }
    return { stats, units };
  }

  /** Adds the per-QI loss sums (all records and kept records) for the loss metric. */
  private addLoss(stats: NodeStats, node: readonly number[], classes: number): void {
    const d = this.data;
    for (let j = 0; j < node.length; j++) {
      const excess = d.leafExcess[j][node[j]];
      const ids = d.unitIds[j][node[j]];
      let all = 0;
      let kept = 0;
      for (let c = 0; c < classes; c++) {
        const v = excess[ids[this.classRep[c]]] * this.classSize[c];
        all += v;
        if (!this.failed[c]) kept += v;
      }
      stats.lossAll[j] = all;
      stats.lossKept[j] = kept;
    }
  }

  /** Per base unit: 1 when its records are kept at `node`, 0 when suppressed; plus the node's stats. */
  keptUnits(node: readonly number[]): { kept: Uint8Array; stats: NodeStats; classSizes: Int32Array; unitClass: Int32Array } {
    const base = baseUnits(this.data);
    const { stats } = this.evaluate(base, node, false);
    const kept = new Uint8Array(this.data.units);
    const unitClass = this.classOf.slice(0, this.data.units);
    for (let u = 0; u < this.data.units; u++) kept[u] = this.failed[unitClass[u]] ? 0 : 1;
    return { kept, stats, classSizes: Int32Array.from(this.classSize.subarray(0, stats.classes)), unitClass };
  }

  /** Marks classes below k or failing a sensitive criterion in `failed`. */
  private checkClasses(classes: number, unitsOut: number): void {
    const size = this.classSize;
    for (let c = 0; c < classes; c++) this.failed[c] = size[c] < this.k ? 1 : 0;
    if (this.checks.length === 0) return;
    const start = this.start;
    start.fill(0, 0, classes + 1);
    for (let u = 0; u < unitsOut; u++) start[this.unitClass[u] + 1]++;
    for (let c = 0; c < classes; c++) start[c + 1] += start[c];
    const pos = start.slice(0, classes);
    for (let u = 0; u < unitsOut; u++) this.order[pos[this.unitClass[u]]++] = u;
    for (let c = 0; c < classes; c++) {
      if (this.failed[c]) continue;
      for (const { s, check } of this.checks) {
        const hist = this.hist[s];
        const sensIds = this.data.unitSens[s];
        let m = 0;
        for (let p = start[c]; p < start[c + 1]; p++) {
          const u = this.order[p];
          const v = sensIds[this.unitRep[u]];
          if (hist[v] === 0) this.histIds[m++] = v;
          hist[v] += this.unitCnt[u];
        }
        for (let i = 0; i < m; i++) { this.histCounts[i] = hist[this.histIds[i]]; hist[this.histIds[i]] = 0; }
        if (!check(this.histIds, this.histCounts, m, size[c])) { this.failed[c] = 1; break; }
      }
    }
  }
}
