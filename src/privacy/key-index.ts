/**
 * Open-addressing hash index from non-negative integer keys (< 2^53) to dense ids 0..size-1,
 * reset in O(1) by a generation stamp. The grouping kernel of the lattice search and risk report.
 */
export class KeyIndex {
  private table: Float64Array;
  private used: Int32Array;
  private mask: number;
  /** Number of distinct keys inserted since the last reset. */
  size = 0;

  constructor(expected: number) {
    let cap = 16;
    while (cap < expected * 2) cap *= 2;
    this.table = new Float64Array(cap * 2).fill(-1);
    this.used = new Int32Array(cap);
    this.mask = cap - 1;
  }

  /** Forgets every key (clearing only the slots used), growing the table if more keys are expected. */
  reset(expected = 0): void {
    const t = this.table;
    for (let i = 0; i < this.size; i++) t[this.used[i]] = -1;
    this.size = 0;
    if (expected * 4 > t.length) this.resize(expected);
  }

  private resize(expected: number): void {
    let cap = this.mask + 1;
    while (cap < expected * 2) cap *= 2;
    const old = this.table;
    const oldUsed = this.used;
    const n = this.size;
    this.table = new Float64Array(cap * 2).fill(-1);
    this.used = new Int32Array(cap);
    this.mask = cap - 1;
    this.size = 0;
    const keys = new Float64Array(n);
    for (let i = 0; i < n; i++) keys[old[oldUsed[i] + 1]] = old[oldUsed[i]];
    for (let i = 0; i < n; i++) this.idOf(keys[i]);
  }

  /** Dense id of a key, inserting it with the next id when new. */
  idOf(key: number): number {
    const lo = key >>> 0;
    const hi = (key / 4294967296) | 0;
    let h = Math.imul(lo ^ Math.imul(hi, 0x85ebca6b), 0x9e3779b1);
    h ^= h >>> 15;
    const t = this.table;
    const mask = this.mask;
    let slot = h & mask;
    for (;;) {
      const p = slot << 1;
      const k = t[p];
      if (k === key) return t[p + 1];
      if (k === -1) {
        if (this.size * 2 >= mask) { this.resize(this.size * 2); return this.idOf(key); }
        t[p] = key;
        t[p + 1] = this.size;
        this.used[this.size] = p;
        return this.size++;
      }
      slot = (slot + 1) & mask;
    }
  }
}

const MAX_EXACT = 2 ** 53;

/**
 * Groups `count` items by the tuple (cols[0][i], ..., cols[d-1][i]) where cols[j][i] < radix[j]:
 * writes each item's group id into `out` and returns the number of groups (ids in first-seen
 * order). Keys are mixed-radix numbers, re-densified whenever the radix product nears 2^53.
 */
export function groupTuples(cols: ReadonlyArray<ArrayLike<number>>, radix: readonly number[], count: number, out: Int32Array, index: KeyIndex): number {
  let groups = 1;
  out.fill(0, 0, count);
  let acc: Float64Array | null = null;
  let width = 1;
  const flush = (): void => {
    if (acc === null) return;
    index.reset(count);
    for (let i = 0; i < count; i++) out[i] = index.idOf(acc[i]);
    groups = index.size;
    acc = null;
    width = groups;
  };
  for (let j = 0; j < cols.length; j++) {
    const r = Math.max(1, radix[j]);
    if (width * r >= MAX_EXACT) flush();
    if (acc === null) {
      acc = new Float64Array(count);
      for (let i = 0; i < count; i++) acc[i] = out[i];
      width = groups;
    }
    const col = cols[j];
    for (let i = 0; i < count; i++) acc[i] = acc[i] * r + col[i];
    width *= r;
  }
  if (acc !== null) flush();
  return count === 0 ? 0 : groups;
}
