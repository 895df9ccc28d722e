import type { Hierarchy } from './hierarchy.model';
import { KeyIndex, groupTuples } from './key-index';
import { classCheck, rankValues, type ClassCheck, type SensitiveCriterion } from './privacy.criteria';
import { HierarchyValueMissingError, InfeasibleRequestError } from './privacy.errors';

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
  /** [qi][level][unit] id of the unit's value at that level. */
  unitIds: Int32Array[][];
  /** The same ids unit-major: unit u's id for (qi j, level l) at u × levelWidth + levelOffset[j] + l (one cache line per unit). */
  unitMatrix: Int32Array;
  levelOffset: number[];
  levelWidth: number;
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
  const unitIds = levelMaps.map((maps, j) => maps.map((m) => Int32Array.from(first, (row) => m[rowIds[j][row]])));
  const levelOffset: number[] = [];
  let levelWidth = 0;
  for (const h of heights) { levelOffset.push(levelWidth); levelWidth += h; }
  const unitMatrix = new Int32Array(units * levelWidth);
  unitIds.forEach((levels, j) => levels.forEach((ids, l) => { for (let u = 0; u < units; u++) unitMatrix[u * levelWidth + levelOffset[j] + l] = ids[u]; }));
  const unitSens = sensitive.map((s) => Int32Array.from(first, (row) => s.ids[row]));
  const sensTuple = new Int32Array(units);
  const sensTuples = groupTuples(unitSens, sensitive.map((s) => s.values.length), units, sensTuple, index);
  return {
    n, columns: hierarchies.map((h) => h.column), heights,
    domainSizes: labels.map((lv) => lv.map((x) => x.length)), labels, unitIds, unitMatrix, levelOffset, levelWidth, unitCount, units, unitSens, sensTuple, sensTuples,
    sensitive: sensitive.map(({ column, values, counts, rank }) => ({ column, values, counts, rank })), rowUnit, leafExcess, leafTotal,
  };
}

/**
 * The records of a node as units (representative base unit + count), with each unit's class key
 * under a fixed mixed radix (null when that radix overflows 2^53); a cache entry for roll-up.
 */
export interface NodeUnits { levels: readonly number[]; rep: Int32Array; cnt: Int32Array; size: number; key: Float64Array | null }

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

/** Fixed radix per QI (its level-0 domain size) and whether the key space fits in 2^53. */
function keyRadix(data: LatticeData): { stride: number[]; exact: boolean } {
  const stride: number[] = [];
  let t = 1;
  for (let j = data.heights.length - 1; j >= 0; j--) { stride[j] = t; t *= Math.max(1, data.domainSizes[j][0]); }
  return { stride, exact: t < 2 ** 53 };
}

/** Base units as the roll-up source of the bottom node. */
export function baseUnits(data: LatticeData): NodeUnits {
  const levels = data.heights.map(() => 0);
  const { stride, exact } = keyRadix(data);
  let key: Float64Array | null = null;
  if (exact) {
    key = new Float64Array(data.units);
    for (let j = 0; j < stride.length; j++) {
      const ids = data.unitIds[j][0];
      for (let u = 0; u < data.units; u++) key[u] += ids[u] * stride[j];
    }
  }
  return { levels, rep: Int32Array.from({ length: data.units }, (_, i) => i), cnt: data.unitCount, size: data.units, key };
}

/**
 * Evaluates nodes by rolling up the units of any finer node: updates each unit's class key for
 * the levels that changed, groups by one hash pass, then checks k and the sensitive criteria.
 */
export class NodeEvaluator {
  private readonly index: KeyIndex;
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
  private readonly keys: Float64Array;
  private readonly classKey: Float64Array;
  private readonly stride: number[];
  private readonly exact: boolean;
  /** Classes that failed (size < k or a criterion), after the last evaluate(). */
  readonly failed: Uint8Array;

  constructor(readonly data: LatticeData, readonly k: number, criteria: SensitiveCriterion[], private readonly withLoss = false) {
    const u = Math.max(1, data.units);
    this.index = new KeyIndex(u);
    this.classOf = new Int32Array(u);
    this.classSize = new Float64Array(u);
    this.classRep = new Int32Array(u);
    this.unitClass = new Int32Array(u);
    this.unitRep = new Int32Array(u);
    this.unitCnt = new Float64Array(u);
    this.order = new Int32Array(u);
    this.start = new Int32Array(u + 1);
    this.failed = new Uint8Array(u);
    this.keys = new Float64Array(u);
    this.classKey = new Float64Array(u);
    ({ stride: this.stride, exact: this.exact } = keyRadix(data));
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

  /** Class id of each unit of `from` under `node` (in classOf), returning the class count. */
  private classify(from: NodeUnits, node: readonly number[]): number {
    const d = this.data;
    const rep = from.rep;
    const size = from.size;
    if (this.exact && from.key !== null) {
      const keys = this.keys;
      const changedFrom: number[] = [];
      const changedTo: number[] = [];
      const changedStride: number[] = [];
      for (let j = 0; j < node.length; j++) {
        if (from.levels[j] === node[j]) continue;
        changedFrom.push(d.levelOffset[j] + from.levels[j]);
        changedTo.push(d.levelOffset[j] + node[j]);
        changedStride.push(this.stride[j]);
      }
      const c = changedFrom.length;
      const m = d.unitMatrix;
      const w = d.levelWidth;
      const src = from.key;
      if (c === 1) {
        const a = changedFrom[0]; const b = changedTo[0]; const st = changedStride[0];
        for (let u = 0; u < size; u++) { const o = rep[u] * w; keys[u] = src[u] + (m[o + b] - m[o + a]) * st; }
      } else if (c === 2) {
        const a0 = changedFrom[0]; const b0 = changedTo[0]; const s0 = changedStride[0];
        const a1 = changedFrom[1]; const b1 = changedTo[1]; const s1 = changedStride[1];
        for (let u = 0; u < size; u++) { const o = rep[u] * w; keys[u] = src[u] + (m[o + b0] - m[o + a0]) * s0 + (m[o + b1] - m[o + a1]) * s1; }
      } else if (c === 3) {
        const a0 = changedFrom[0]; const b0 = changedTo[0]; const s0 = changedStride[0];
        const a1 = changedFrom[1]; const b1 = changedTo[1]; const s1 = changedStride[1];
        const a2 = changedFrom[2]; const b2 = changedTo[2]; const s2 = changedStride[2];
        for (let u = 0; u < size; u++) {
          const o = rep[u] * w;
          keys[u] = src[u] + (m[o + b0] - m[o + a0]) * s0 + (m[o + b1] - m[o + a1]) * s1 + (m[o + b2] - m[o + a2]) * s2;
        }
      } else {
        for (let u = 0; u < size; u++) {
          const o = rep[u] * w;
          let k = src[u];
          for (let i = 0; i < c; i++) k += (m[o + changedTo[i]] - m[o + changedFrom[i]]) * changedStride[i];
          keys[u] = k;
        }
      }
      const index = this.index;
      const classOf = this.classOf;
      index.reset(size);
      for (let u = 0; u < size; u++) classOf[u] = index.idOf(keys[u]);
      return index.size;
    }
    const cols = node.map((l, j) => { const ids = d.unitIds[j][l]; return Int32Array.from(rep.subarray(0, size), (r) => ids[r]); });
    return groupTuples(cols, node.map((l, j) => d.domainSizes[j][l]), size, this.classOf, this.index);
  }

  /** Evaluates `node` from the units of a finer node; returns stats and, if asked, the node's units. */
  evaluate(from: NodeUnits, node: readonly number[], keepUnits: boolean): { stats: NodeStats; units: NodeUnits | null } {
    const d = this.data;
    const classes = this.classify(from, node);
    const size = this.classSize;
    const classOf = this.classOf;
    const classRep = this.classRep;
    size.fill(0, 0, classes);
    const rep = from.rep;
    const cnt = from.cnt;
    const classKey = this.classKey;
    const keys = this.keys;
    for (let u = 0; u < from.size; u++) {
      const c = classOf[u];
      if (size[c] === 0) { classRep[c] = rep[u]; classKey[c] = keys[u]; }
      size[c] += cnt[u];
    }
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
      const exactKeys = this.exact && from.key !== null;
      const keyOf = (count: number, classOfOut: (i: number) => number): Float64Array | null => {
        if (!exactKeys) return null;
        const out = new Float64Array(count);
        for (let i = 0; i < count; i++) out[i] = this.classKey[classOfOut(i)];
        return out;
      };
      if (hasSens) {
        const r = this.unitRep.slice(0, unitsOut);
        units = { levels: node.slice(), rep: r, cnt: Int32Array.from(this.unitCnt.subarray(0, unitsOut)), size: unitsOut, key: keyOf(unitsOut, (i) => this.unitClass[i]) };
      } else {
        const r = classRep.slice(0, classes);
        units = { levels: node.slice(), rep: r, cnt: Int32Array.from(size.subarray(0, classes)), size: classes, key: keyOf(classes, (i) => i) };
      }
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
