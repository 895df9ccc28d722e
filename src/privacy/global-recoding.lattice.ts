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
  const unitSens = sensitive.map((s) => Int32Array.from(first, (row) => s.ids[row]));
  const sensTuple = new Int32Array(units);
  const sensTuples = groupTuples(unitSens, sensitive.map((s) => s.values.length), units, sensTuple, index);
  return {
    n, columns: hierarchies.map((h) => h.column), heights,
    domainSizes: labels.map((lv) => lv.map((x) => x.length)), labels, unitIds, unitCount, units, unitSens, sensTuple, sensTuples,
    sensitive: sensitive.map(({ column, values, counts, rank }) => ({ column, values, counts, rank })), rowUnit, leafExcess, leafTotal,
  };
}

/** The records of a node as units (representative base unit + count); a cache entry for roll-up. */
export interface NodeUnits { rep: Int32Array; cnt: Int32Array; size: number }

/** What the search needs to know about one node. */
export interface NodeStats {
  classes: number;
  keptClasses: number;
  suppressed: number;
  /** Σ|E|² over kept classes and over all classes. */
  sumSqKept: number;
  sumSqAll: number;
  /** [qi] Σ over records of (leaves under the record's label - 1): all records, kept records only. */
  lossAll: Float64Array;
  lossKept: Float64Array;
  /** Σ_E |E| * max(k, |E|): the DM lower bound of every generalisation of this node. */
  dmBound: number;
}

/** Base units as the roll-up source of the bottom node. */
export function baseUnits(data: LatticeData): NodeUnits {
  return { rep: Int32Array.from({ length: data.units }, (_, i) => i), cnt: data.unitCount, size: data.units };
}

/**
 * Evaluates nodes by rolling up the units of a finer node: groups them by their generalised QI
 * ids (typed arrays, one hash pass), then checks k and the sensitive criteria per class.
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
  /** Classes that failed (size < k or a criterion), after the last evaluate(). */
  readonly failed: Uint8Array;

  constructor(readonly data: LatticeData, readonly k: number, criteria: SensitiveCriterion[]) {
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
    const q = node.length;
    let product = 1;
    for (let j = 0; j < q; j++) product *= d.domainSizes[j][node[j]];
    if (product < 2 ** 53) {
      const keys = this.keys;
      keys.fill(0, 0, from.size);
      for (let j = 0; j < q; j++) {
        const ids = d.unitIds[j][node[j]];
        const r = d.domainSizes[j][node[j]];
        const rep = from.rep;
        for (let u = 0; u < from.size; u++) keys[u] = keys[u] * r + ids[rep[u]];
      }
      this.index.reset(from.size);
      for (let u = 0; u < from.size; u++) this.classOf[u] = this.index.idOf(keys[u]);
      return this.index.size;
    }
    const cols = node.map((l, j) => { const ids = d.unitIds[j][l]; return Int32Array.from(from.rep.subarray(0, from.size), (r) => ids[r]); });
    return groupTuples(cols, node.map((l, j) => d.domainSizes[j][l]), from.size, this.classOf, this.index);
  }

  /** Evaluates `node` from the units of a finer node; returns stats and, if asked, the node's units. */
  evaluate(from: NodeUnits, node: readonly number[], keepUnits: boolean): { stats: NodeStats; units: NodeUnits | null } {
    const d = this.data;
    const classes = this.classify(from, node);
    const size = this.classSize;
    size.fill(0, 0, classes);
    for (let u = 0; u < from.size; u++) {
      const c = this.classOf[u];
      if (size[c] === 0) this.classRep[c] = from.rep[u];
      size[c] += from.cnt[u];
    }
    let unitsOut = classes;
    const hasSens = this.checks.length > 0;
    if (hasSens) {
      this.index.reset(from.size);
      const S = d.sensTuples;
      this.unitCnt.fill(0, 0, from.size);
      for (let u = 0; u < from.size; u++) {
        const c = this.classOf[u];
        const id = this.index.idOf(c * S + d.sensTuple[from.rep[u]]);
        if (this.unitCnt[id] === 0) { this.unitRep[id] = from.rep[u]; this.unitClass[id] = c; }
        this.unitCnt[id] += from.cnt[u];
      }
      unitsOut = this.index.size;
    }
    this.checkClasses(classes, unitsOut);
    const q = node.length;
    const stats: NodeStats = {
      classes, keptClasses: 0, suppressed: 0, sumSqKept: 0, sumSqAll: 0, lossAll: new Float64Array(q), lossKept: new Float64Array(q), dmBound: 0,
    };
    for (let c = 0; c < classes; c++) {
      const s = size[c];
      stats.sumSqAll += s * s;
      stats.dmBound += s * Math.max(this.k, s);
      if (this.failed[c]) stats.suppressed += s;
      else { stats.keptClasses++; stats.sumSqKept += s * s; }
    }
    for (let j = 0; j < q; j++) {
      const excess = d.leafExcess[j][node[j]];
      const ids = d.unitIds[j][node[j]];
      let all = 0;
      let kept = 0;
      for (let c = 0; c < classes; c++) {
        const v = excess[ids[this.classRep[c]]] * size[c];
        all += v;
        if (!this.failed[c]) kept += v;
      }
      stats.lossAll[j] = all;
      stats.lossKept[j] = kept;
    }
    let units: NodeUnits | null = null;
    if (keepUnits) {
      units = hasSens
        ? { rep: this.unitRep.slice(0, unitsOut), cnt: Int32Array.from(this.unitCnt.subarray(0, unitsOut)), size: unitsOut }
        : { rep: this.classRep.slice(0, classes), cnt: Int32Array.from(size.subarray(0, classes)), size: classes };
    }
    return { stats, units };
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
