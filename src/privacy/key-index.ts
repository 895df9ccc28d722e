/**
 * Open-addressing hash index (linear probing) from non-negative integer keys (< 2^53) to dense ids
 * 0..size-1; a reset clears only the slots used. The grouping kernel of the lattice search.
 */
export class KeyIndex {
  private table: Float64Array;
  private used: Int32Array;
  private mask: number;
  /** Tables by capacity, reused so that a small grouping works in a small (cache-resident) table. */
  private readonly pool = new Map<number, { table: Float64Array; used: Int32Array }>();
  /** Number of distinct keys inserted since the last reset. */
  size = 0;

  constructor(expected: number) {
    const cap = KeyIndex.capacity(expected);
    this.table = new Float64Array(cap * 2).fill(-1);
    this.used = new Int32Array(cap);
    this.mask = cap - 1;
    this.pool.set(cap, { table: this.table, used: this.used });
  }

  /** Smallest power of two (at least 16) that keeps `expected` keys at most half full. */
  private static capacity(expected: number): number {
    let cap = 16;
    while (cap < expected * 2) cap *= 2;
    return cap;
  }

  /**
   * Forgets every key (clearing only the slots used) and switches to the table sized for at most
   * `expected` keys: a larger one when needed, a smaller one so that few keys stay cache-resident.
   */
  reset(expected = 0): void {
    const t = this.table;
    for (let i = 0; i < this.size; i++) t[this.used[i]] = -1;
    this.size = 0;
    const cap = KeyIndex.capacity(expected);
    if (cap !== this.mask + 1) this.use(cap);
  }

  private use(cap: number): void {
    let entry = this.pool.get(cap);
    if (entry === undefined) {
      entry = { table: new Float64Array(cap * 2).fill(-1), used: new Int32Array(cap) };
      this.pool.set(cap, entry);
    }
    this.table = entry.table;
    this.used = entry.used;
    this.mask = cap - 1;
  }

  private grow(): void {
    const old = this.table;
    const oldUsed = this.used;
    const n = this.size;
    const keys = new Float64Array(n);
    for (let i = 0; i < n; i++) { keys[old[oldUsed[i] + 1]] = old[oldUsed[i]]; old[oldUsed[i]] = -1; }
    this.size = 0;
    this.use((this.mask + 1) * 2);
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
        if (this.size * 2 >= mask) { this.grow(); return this.idOf(key); }
        t[p] = key;
        t[p + 1] = this.size;
        this.used[this.size] = p;
        return this.size++;
      }
      slot = (slot + 1) & mask;
    }
  }
}

/**
 * The same index for 32-bit integer keys (any int32 value), the fast path of the lattice search:
 * one multiplicative hash, keys and ids interleaved in one Int32Array, and no clearing on reset —
 * an entry belongs to the current grouping when its tag (id + base) is at least `base`, and every
 * reset moves `base` past the ids handed out.
 */
export class KeyIndex32 {
  private table: Int32Array;
  private shift: number;
  private mask: number;
  private base = 0;
  private readonly pool = new Map<number, Int32Array>();
  size = 0;

  constructor(expected: number) {
    this.table = new Int32Array(0);
    this.shift = 32;
    this.mask = 0;
    this.use(KeyIndex32.capacity(expected));
  }

  private static capacity(expected: number): number {
    let cap = 16;
    while (cap < expected * 2) cap *= 2;
    return cap;
  }

  private use(cap: number): void {
    let t = this.pool.get(cap);
    if (t === undefined) { t = new Int32Array(cap * 2); this.pool.set(cap, t); }
    this.table = t;
    this.mask = cap - 1;
    this.shift = 32 - Math.log2(cap);
    this.fresh();
  }

  /** Forgets every key: a base above every tag of every pooled table, or all tables cleared when tags would overflow. */
  private fresh(): void {
    this.base += this.size + 1;
    if (this.base > 0x3fffffff) {
      for (const t of this.pool.values()) t.fill(0);
      this.base = 1;
    }
    this.size = 0;
  }

  /** Forgets every key and switches to the table sized for at most `expected` keys. */
  reset(expected = 0): void {
    const cap = KeyIndex32.capacity(expected);
    if (cap !== this.mask + 1) this.use(cap);
    else this.fresh();
  }

  private grow(): void {
    const old = this.table;
    const n = this.size;
    const keys = new Int32Array(n);
    const base = this.base;
    for (let p = 0; p < old.length; p += 2) if (old[p + 1] >= base) keys[old[p + 1] - base] = old[p];
    this.use((this.mask + 1) * 2);
    for (let i = 0; i < n; i++) this.idOf(keys[i]);
  }

  /** Dense id of a key, inserting it with the next id when new. */
  idOf(key: number): number {
    const t = this.table;
    const mask = this.mask;
    const base = this.base;
    let slot = Math.imul(key, 0x9e3779b1) >>> this.shift;
    for (;;) {
      const p = slot << 1;
      const tag = t[p + 1];
      if (tag < base) {
        if (this.size * 2 >= mask) { this.grow(); return this.idOf(key); }
        t[p] = key;
        t[p + 1] = base + this.size;
        return this.size++;
      }
      if (t[p] === key) return tag - base;
      slot = (slot + 1) & mask;
    }
  }
}

/** `values[at[i]]` for every i: a plain loop (Int32Array.from with a mapping function is many times slower). */
export function gather(at: ArrayLike<number>, values: ArrayLike<number>, count = at.length): Int32Array {
  const out = new Int32Array(count);
  for (let i = 0; i < count; i++) out[i] = values[at[i]];
  return out;
}

/** 0, 1, …, n − 1. */
export function iota(n: number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  return out;
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
