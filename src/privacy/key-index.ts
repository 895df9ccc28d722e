/**
 * Open-addressing hash index from non-negative integer keys (< 2^53) to dense ids 0..size-1,
 * reset in O(1) by a generation stamp. The grouping kernel of the lattice search and risk report.
 */
export class KeyIndex {
  private keys: Float64Array;
  private ids: Int32Array;
  private stamps: Int32Array;
  private mask: number;
  private generation = 1;
  /** Number of distinct keys inserted since the last reset. */
  size = 0;

  constructor(expected: number) {
    let cap = 16;
    while (cap < expected * 2) cap *= 2;
    this.keys = new Float64Array(cap);
    this.ids = new Int32Array(cap);
    this.stamps = new Int32Array(cap);
    this.mask = cap - 1;
  }

  /** Forgets every key, growing the table if more keys are expected. */
  reset(expected = 0): void {
    if (expected * 2 > this.keys.length) {
      let cap = this.keys.length;
      while (cap < expected * 2) cap *= 2;
      this.keys = new Float64Array(cap);
      this.ids = new Int32Array(cap);
      this.stamps = new Int32Array(cap);
      this.mask = cap - 1;
      this.generation = 0;
    }
    this.generation++;
    if (this.generation > 2000000000) { this.stamps.fill(0); this.generation = 1; }
    this.size = 0;
  }

  /** Dense id of a key, inserting it with the next id when new. */
  idOf(key: number): number {
    const lo = key >>> 0;
    const hi = (key / 4294967296) | 0;
    let h = Math.imul(lo ^ Math.imul(hi, 0x85ebca6b), 0x9e3779b1);
    h ^= h >>> 15;
    let slot = h & this.mask;
    const gen = this.generation;
    for (;;) {
      if (this.stamps[slot] !== gen) {
        if (this.size * 2 >= this.keys.length) { this.grow(); return this.idOf(key); }
        this.stamps[slot] = gen;
        this.keys[slot] = key;
        this.ids[slot] = this.size;
        return this.size++;
      }
      if (this.keys[slot] === key) return this.ids[slot];
      slot = (slot + 1) & this.mask;
    }
  }

  private grow(): void {
    const oldKeys = this.keys;
    const oldIds = this.ids;
    const oldStamps = this.stamps;
    const gen = this.generation;
    const cap = oldKeys.length * 2;
    this.keys = new Float64Array(cap);
    this.ids = new Int32Array(cap);
    this.stamps = new Int32Array(cap);
    this.mask = cap - 1;
    for (let i = 0; i < oldKeys.length; i++) {
      if (oldStamps[i] !== gen) continue;
      const key = oldKeys[i];
      const lo = key >>> 0;
      const hi = (key / 4294967296) | 0;
      let h = Math.imul(lo ^ Math.imul(hi, 0x85ebca6b), 0x9e3779b1);
      h ^= h >>> 15;
      let slot = h & this.mask;
      while (this.stamps[slot] === gen) slot = (slot + 1) & this.mask;
      this.stamps[slot] = gen;
      this.keys[slot] = key;
      this.ids[slot] = oldIds[i];
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
